"""Batch runs (issue 22 item 2): papermill runs tutorial 07 headless, with parameters, its
policy set in a cell and its committed record replayed, in a real kernel (papermill's
Python API in this process). Each run works on a copy of the notebook and its record."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import papermill
import pytest
from fake_anthropic import FakeAnthropic
from kernel_harness import offline_env

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAME = "07-reproducible-runs.ipynb"
RECORD = NAME + ".amplifier-replay.jsonl"
HEADLESS_LINE = (
    "amplifier: python: nobody can answer here (AMPLIFIER_JUPYTER_HEADLESS=1): deny applied; "
    "set a policy with %amplifier approve allow python (or deny python)\n"
)
NOBODY_ANSWER = "Nobody could approve the python tool here, so I did not compute the median."
# Far above a replayed run's few seconds: a guard against hanging, not a measure.
GUARD = 120


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in (NAME, RECORD):
        shutil.copy(NOTEBOOKS / name, tmp_path / name)
    return tmp_path


def run(folder: Path, env: dict[str, str], source: Path | None = None, **parameters: Any) -> Any:
    """papermill's run of the notebook in ``folder`` (its kernel's working directory)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # papermill's kernel inherits this process's environment
    try:
        return papermill.execute_notebook(
            str(source or folder / NAME),
            str(folder / "out.ipynb"),
            parameters=parameters,
            cwd=str(folder),
            kernel_name="python3",
            execution_timeout=GUARD,
            progress_bar=False,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)


def outputs(cell: Any) -> tuple[str, list[str]]:
    """A cell's printed text and its Markdown outputs."""
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    data = [o.get("data", {}) for o in cell.outputs]
    markdown = [d["text/markdown"] for d in data if "text/markdown" in d]
    return text, markdown


def cell_with(nb: Any, start: str) -> Any:
    return next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start))


def cell_with_json(nb: dict[str, Any], start: str) -> dict[str, Any]:
    return next(c for c in nb["cells"] if "".join(c["source"]).startswith(start))


def records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / RECORD).read_text().splitlines()]


def test_papermill_replays_the_tutorial_with_parameters_and_leaves_no_widget_state(
    folder: Path,
) -> None:
    before = (folder / RECORD).read_text()
    nb = run(folder, offline_env(), a=2, b=2)
    assert "widgets" not in nb.metadata
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert injected.source.splitlines()[-2:] == ["a = 2", "b = 2"]
    assert outputs(cell_with(nb, "%%amplifier\nWhat is {a} + {b}?"))[1] == ["4"]
    policy, _ = outputs(cell_with(nb, "%amplifier approve allow python"))
    assert policy == "amplifier: approval: default auto · python allow · timeout 120s\n"
    printed, answers = outputs(cell_with(nb, "%%amplifier\nWhat is the mean"))
    assert answers == ["The mean of `data` is 3.875."]
    assert printed == "3.875\n"  # the python tool ran again, under the policy
    # One line for each question the policy asked and nobody could answer, in its cell.
    asked, answers = outputs(cell_with(nb, "%%amplifier\nWhat is the median"))
    assert asked == HEADLESS_LINE
    assert answers == [
        "Nobody could approve the python tool here, so I did not compute the median."
    ]
    every = "".join(outputs(c)[0] for c in nb.cells if c.cell_type == "code")
    assert every.count("nobody can answer") == 1
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert "application/vnd.jupyter.widget-view+json" not in output.get("data", {})
    status, _ = outputs(nb.cells[-2])
    assert "5 replayed" in status and "0 live" in status, status
    assert (folder / RECORD).read_text() == before


def test_a_parameter_that_changes_the_prompt_fails_strict_at_its_cell(folder: Path) -> None:
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        run(folder, offline_env(), b=5)
    error = raised.value
    assert error.source == "%%amplifier\nWhat is {a} + {b}?"
    # The output notebook stops there: the cells after it did not run.
    nb = json.loads((folder / "out.ipynb").read_text())
    assert cell_with_json(nb, "%amplifier approve allow python")["execution_count"] is None
    (line,) = error.traceback
    assert line.startswith("amplifier: replay strict: cell ["), line
    assert "not on record in " + RECORD in line
    assert "'What is 2 + 5?', recorded 'What is 2 + 2?'" in line, line


def test_under_on_the_new_call_goes_to_the_model_and_is_recorded(folder: Path) -> None:
    source = folder / "on.ipynb"
    notebook = json.loads((folder / NAME).read_text())
    for cell in notebook["cells"]:
        if "".join(cell["source"]) == "%amplifier replay strict":
            cell["source"] = f"%amplifier replay on {RECORD}"
    source.write_text(json.dumps(notebook))
    with FakeAnthropic() as fake:
        env = offline_env(ANTHROPIC_BASE_URL=fake.url, ANTHROPIC_API_KEY="test-key")
        nb = run(folder, env, source=source, b=5)
        asked = len(fake.requests)
    assert outputs(cell_with(nb, "%%amplifier\nWhat is {a} + {b}?"))[1] == ["Echo: What is 2 + 5?"]
    # The new question and the turn after it (its conversation is new too): each call that
    # went to the model is on record now, after the five that were.
    added = records(folder)[5:]
    assert asked >= 1 and len(added) == asked
    assert "What is 2 + 5?" in json.dumps(added[0])
