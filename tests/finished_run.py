"""A notebook with a finished ``%%amplifier`` run, executed by nbclient as a user's would be:
its third cell calls a tool ``CALLS`` times (more rows than the summary's static HTML shows)
with ``<`` and tags in the prompt and the results, then answers in Markdown."""

from __future__ import annotations

from pathlib import Path

import nbformat
from kernel_harness import offline_env
from nbclient import NotebookClient
from widget_comms import TOOLS_SOURCE

CALLS = 14
PROMPT = "Is 1 < 2? Use <echo>."
ANSWER = "It is **4**."


def finished_run_notebook(folder: Path) -> nbformat.NotebookNode:
    """The notebook, run in ``folder`` (its third cell holds the run's summary and answer)."""
    calls = [
        {"tool_calls": [{"id": f"c{i}", "name": "echo", "input": {"text": f"<b>{i}</b> < 2"}}]}
        for i in range(CALLS)
    ]
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": [*calls, ANSWER]}}],
        "tools": [{"module": "tool-echo", "source": TOOLS_SOURCE}],
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext amplifier_jupyter\n%amplifier approve allow echo"),
        nbformat.v4.new_code_cell(f"_plan = {plan!r}\n%amplifier config _plan"),
        nbformat.v4.new_code_cell(f"%%amplifier\n{PROMPT}"),
    ]
    # nbclient keeps the state of every widget it saw opened (it ignores comm_close):
    # without it, the panel's closed model would be in the saved notebook's metadata.
    client = NotebookClient(
        nb,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=offline_env())
    nbformat.validate(nb)  # the summary's JSON is a valid output
    return nb
