"""The tutorial notebooks as stored: one top-to-bottom run each, offline, linked in order.

nbval (``notebooks/conftest.py``) checks that each notebook still produces its
stored outputs; this checks what nbval does not: that the stored outputs come
from one real run in order, what the issue requires of each tutorial, and the
README's list.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from seed_example import SEED_CONFIG

from amplifier_jupyter.replay.store import SUFFIX

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = [
    "01-quickstart",
    "02-events-and-approvals",
    "03-notebook-as-context",
    "04-child-sessions-and-transcripts",
    "05-write-your-own-module",
    "06-the-python-api",
    "07-reproducible-runs",
    "08-the-agent-writes-cells",
]


def load(name: str) -> dict[str, Any]:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


def code_cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def source(cell: dict[str, Any]) -> str:
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def test_the_eight_tutorials_are_there() -> None:
    assert set(TUTORIALS) <= {path.stem for path in NOTEBOOKS.glob("*.ipynb")}


@pytest.mark.parametrize("name", TUTORIALS)
def test_stored_outputs_come_from_one_run_in_order(name: str) -> None:
    notebook = load(name)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    cells = code_cells(notebook)
    assert [cell["execution_count"] for cell in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        tagged = "raises-exception" in cell["metadata"].get("tags", [])
        assert bool(errors) == tagged, source(cell)


@pytest.mark.parametrize("name", TUTORIALS)
def test_outputs_carry_nothing_of_the_machine_that_ran_them(name: str) -> None:
    for cell in code_cells(load(name)):
        for output in cell["outputs"]:
            text = json.dumps({k: v for k, v in output.items() if k != "metadata"})
            assert not re.search(r"/tmp/|/home/|/root/|/work/|0x[0-9a-f]{6,}", text), text
            assert "sk-ant-" not in text


@pytest.mark.parametrize("name", TUTORIALS)
def test_every_tutorial_runs_offline(name: str) -> None:
    notebook = load(name)
    text = "\n".join(source(cell) for cell in code_cells(notebook))
    # Offline: the scripted provider, or provider-claude's calls replayed from the committed
    # record (strict: a call not on record fails, none goes out).
    replayed = (
        "%amplifier replay strict" in text and (NOTEBOOKS / f"{name}.ipynb{SUFFIX}").is_file()
    )
    assert "provider-scripted" in text or "scripted_plan(" in text or replayed
    # The one Anthropic plan (the seed's, in the quickstart) is shown, never started.
    assert "%amplifier config config" not in text
    prose = "\n".join(source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert "01-quickstart.ipynb" in prose or name == "01-quickstart"


def test_the_quickstart_shows_the_seed_plan_and_how_to_switch_to_claude() -> None:
    notebook = load("01-quickstart")
    sources = [source(cell) for cell in code_cells(notebook)]
    assert SEED_CONFIG.rstrip("\n") in sources
    assert "await main()" in sources
    prose = "\n".join(source(c) for c in notebook["cells"] if c["cell_type"] == "markdown")
    for word in ("ANTHROPIC_API_KEY", "provider-anthropic", "provider-claude"):
        assert word in prose


def test_the_readme_links_every_tutorial_in_order() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Tutorials", 1)[1].split("\n## ", 1)[0]
    linked = re.findall(r"^\d+\. \[[^\]]+\]\(notebooks/([\w-]+)\.ipynb\)", section, re.M)
    assert linked == sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))


def test_transcripts_written_by_the_tutorials_stay_out_of_git() -> None:
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    written = [
        path
        for path in tracked
        if ".amplifier" in Path(path).parts or "my_modules" in Path(path).parts
    ]
    assert not written


def _collected_cells(seed: int, *extra: str) -> list[tuple[str, int]]:
    """(notebook, cell number) of each nbval item, in the order pytest-randomly left them."""
    notebooks = [
        str(NOTEBOOKS / name) for name in ("01-quickstart.ipynb", "02-events-and-approvals.ipynb")
    ]
    done = subprocess.run(
        [
            sys.executable,
            "-P",
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "randomly",
            f"--randomly-seed={seed}",
            "-p",
            "no:cacheprovider",
            *extra,
            *notebooks,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=NOTEBOOKS.parent,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    cells = []
    for line in done.stdout.splitlines():
        name, sep, cell = line.partition("::Cell ")
        if sep:
            cells.append((Path(name).name, int(cell)))
    return cells


def _in_order(cells: list[tuple[str, int]]) -> bool:
    """Each notebook's cells together, and in the notebook's order."""
    seen: list[str] = []
    for name, _ in cells:
        if not seen or seen[-1] != name:
            if name in seen:
                return False
            seen.append(name)
    return all(
        [n for nb, n in cells if nb == name] == sorted(n for nb, n in cells if nb == name)
        for name in seen
    )


@pytest.mark.parametrize("seed", [1, 12345])
def test_the_random_order_keeps_each_tutorial_s_cells_in_order(seed: int) -> None:
    cells = _collected_cells(seed)
    assert len(cells) > 20 and _in_order(cells), cells
    if seed == 1:
        # Without notebooks/conftest.py the same seed shuffles them: the check can fail.
        assert not _in_order(_collected_cells(seed, "--noconftest", "--nbval"))
