"""A question nobody can answer (a headless run) gets the policy's default at once.

An ipywidgets view acknowledges nothing, so the panel's view reports itself
(``{"type": "rendered"}``, ``assets/panel.js``; ``ui/approval_headless.py``).
Under nbclient, which sends ``allow_stdin: false`` and draws no view, a
question is decided at once with one line; a client that reports a view gets
the question and the click decides it; with no view within the grace, the
default applies, and a view that comes in a later run is asked again. The
tests assert on outcomes and lines, never on time (a cell timeout is a guard).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from kernel_harness import Kernel, offline_env
from nbclient import NotebookClient
from widget_comms import INSPECT, TOOLS_SOURCE, Widgets, click, configure, execute, tool_calls

NBCLIENT_LINE = (
    "amplifier: echo: nobody can answer here (headless run: nbclient, papermill or nbconvert): "
    "deny applied; set a policy with %amplifier approve allow echo (or deny echo)\n"
)
GRACE = 3
NO_VIEW_LINE = (
    f"amplifier: echo: nobody can answer here (no notebook view showed this run within "
    f"{GRACE} s): deny applied; set a policy with %amplifier approve allow echo (or deny echo)\n"
)
# Far below the policy's 120 s: a guard against hanging, not a measure.
GUARD = 60


def echo_call(text: str) -> dict[str, Any]:
    return {"tool_calls": [{"id": f"call-{text}", "name": "echo", "input": {"text": text}}]}


def plan(*script: Any) -> dict[str, Any]:
    return {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": list(script)}}],
        "tools": [{"module": "tool-echo", "source": TOOLS_SOURCE}],
    }


def stdout_of(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def test_under_nbclient_an_ask_question_gets_the_default_at_once_in_one_line(
    tmp_path: Path,
) -> None:
    """nbclient (a real kernel, no frontend): the policy asks for echo, nobody can answer,
    so deny applies at once, one line says so and how to set a policy, and the run goes
    on; the next cell, after ``%amplifier approve allow echo``, runs it."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext amplifier_jupyter"),
        nbformat.v4.new_code_cell(
            f"_plan = {plan(echo_call('one'), 'Nothing ran.', echo_call('two'), 'Ran.')!r}\n"
            "%amplifier config _plan"
        ),
        nbformat.v4.new_code_cell("%%amplifier\nEcho one."),
        nbformat.v4.new_code_cell("%amplifier approve allow echo"),
        nbformat.v4.new_code_cell("%%amplifier\nEcho two."),
        nbformat.v4.new_code_cell(INSPECT + "print(_tools.CALLS)"),
    ]
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=GUARD,
        store_widget_state=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=offline_env())
    asked, _, allowed, calls = nb.cells[2], nb.cells[3], nb.cells[4], nb.cells[5]
    assert stdout_of(asked).count("amplifier: echo:") == 1
    assert NBCLIENT_LINE in stdout_of(asked), stdout_of(asked)
    markdown = [o.data.get("text/markdown") for o in asked.outputs if "data" in o]
    assert "Nothing ran." in markdown
    summary = next(o.data["text/plain"] for o in asked.outputs if "data" in o)
    assert "✗ echo: nobody can answer here (headless run" in summary, summary
    assert "nobody can answer" not in stdout_of(allowed)
    assert stdout_of(calls).strip() == "[('echo', {'text': 'two'})]"


@pytest.fixture(scope="module")
def kernel_with_grace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    env = offline_env(AMPLIFIER_JUPYTER_VIEW_GRACE=str(GRACE))
    with Kernel(env=env, cwd=str(tmp_path_factory.mktemp("grace"))) as k:
        assert k.execute("%load_ext amplifier_jupyter").ok
        yield k


def clicking_after_ticks(kernel: Kernel, widgets: Widgets, label: str, ticks: int = 2):
    """Feed the widgets; click ``label`` once the open question has seen ``ticks`` more
    status updates (the question waited, whatever the machine's speed)."""
    seen: list[int] = []
    clicked: list[Any] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        button = widgets.enabled_button(label)
        if button is None or clicked:
            return
        data = msg["content"].get("data") or {}
        if msg["msg_type"] == "comm_msg" and "status_html" in (data.get("state") or {}):
            seen.append(1)
        if len(seen) >= ticks:
            clicked.append(button)
            click(kernel, button)

    return on_message, clicked


def test_a_view_that_reports_itself_gets_the_question_and_the_click_decides(
    kernel_with_grace: Kernel,
) -> None:
    """A client that reports the panel's view drawn: the question waits (past the grace)
    for the click, and Allow once runs the tool, with no headless line."""
    kernel = kernel_with_grace
    configure(kernel, [echo_call("clicked"), "Done."])
    widgets = Widgets()
    on_message, clicked = clicking_after_ticks(kernel, widgets, "Allow once", ticks=GRACE + 2)
    result = execute(kernel, "%%amplifier\nEcho.", on_message, timeout=GUARD)
    assert result.ok and result.markdown == ["Done."], (result.stdout, result.stderr)
    assert clicked and "nobody can answer" not in result.stdout
    assert ["echo", {"text": "clicked"}] in tool_calls(kernel)


def test_no_view_within_the_grace_gets_the_default_and_a_later_view_is_asked(
    kernel_with_grace: Kernel,
) -> None:
    """No view reports itself (a client that draws nothing): after the grace, deny and one
    line; the next run's panel is drawn, and its question waits for the click."""
    kernel = kernel_with_grace
    configure(kernel, [echo_call("unseen"), "Nothing ran.", echo_call("seen"), "Ran."])
    widgets = Widgets()
    unseen = execute(kernel, "%%amplifier\nFirst.", widgets.feed, timeout=GUARD, renders=False)
    assert unseen.ok and unseen.markdown == ["Nothing ran."], (unseen.stdout, unseen.stderr)
    assert unseen.stdout.count("amplifier: echo:") == 1
    assert NO_VIEW_LINE in unseen.stdout, unseen.stdout
    on_message, clicked = clicking_after_ticks(kernel, widgets, "Allow once", ticks=GRACE + 2)
    seen = execute(kernel, "%%amplifier\nSecond.", on_message, timeout=GUARD)
    assert seen.ok and seen.markdown == ["Ran."], (seen.stdout, seen.stderr)
    assert clicked and "nobody can answer" not in seen.stdout
    calls = [call for call in tool_calls(kernel) if call[0] == "echo"]
    assert {"text": "unseen"} not in [c[1] for c in calls] and ["echo", {"text": "seen"}] in calls
