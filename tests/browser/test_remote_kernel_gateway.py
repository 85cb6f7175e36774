"""A kernel behind Jupyter Kernel Gateway (issue 22, item 1), driven in chromium.

JupyterLab runs with ``--gateway-url``: its pages and files stay local, its kernel is
started, spoken to (the websocket, comms included) and interrupted through the
gateway's API, in the gateway's working directory, as a kernel on a cluster would be.
One notebook, one flow (prompt_flows.py): a prompt cell loads the extension by itself and
reads an unsaved edit through the bridge; its approval is answered with a click while it
runs; a streamed answer shows in the panel and the panel's Stop ends it; the kernel
interrupt (■) stops code the agent runs; the kernel edits the notebook through the bridge;
the transcripts are in the gateway's working directory, none beside the notebook the Lab
server serves. docs/design.md fact 41 has what the gateway changes.
"""

from __future__ import annotations

from typing import Any

import prompt_flows as flow
import pytest
from fake_anthropic import FakeAnthropic
from gateway_server import KernelGateway
from kernel_harness import fake_api_env
from lab_page import NotebookPage

EDIT = (
    "import amplifier_jupyter.bridge as b\n"
    "await b.current().insert_cell('# from the remote kernel', 'markdown', index=0)\n"
    "await b.current().replace_source('cell-0', 'x = 3', expected='x = 2')"
)
CELLS = [*flow.CELLS, EDIT]


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    """The Lab server's environment: the gateway passes these two on to the kernel."""
    return fake_api_env(fake.url)


@pytest.fixture(scope="module")
def lab_options(kernel_gateway: KernelGateway) -> dict[str, Any]:
    return {"args": kernel_gateway.lab_args()}


def test_a_kernel_behind_a_gateway_streams_asks_stops_and_edits(
    notebook: NotebookPage, fake: FakeAnthropic, kernel_gateway: KernelGateway
) -> None:
    flow.enqueue_replies(fake)
    notebook.lab.write_notebook("remote.ipynb", CELLS)
    try:
        notebook.open("remote.ipynb")
    except AssertionError as error:  # the kernel started, or not, in the gateway
        raise AssertionError(f"{error}\nThe gateway's log ends:\n{kernel_gateway.log()}") from None
    kernel = notebook.page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id"
    )
    assert kernel in kernel_gateway.kernel_ids()  # the gateway runs it
    flow.prompt_reads_an_unsaved_edit_and_asks(notebook, fake)
    flow.streamed_answer_stopped(notebook)
    output = flow.blocking_code_started(notebook)
    notebook.interrupt_kernel()  # the gateway's REST API: a SIGINT to its kernel
    flow.blocking_code_stopped(notebook, output, fake)

    notebook.run_in_place(5)
    notebook.wait_for_sources(["# from the remote kernel", "x = 3", *CELLS[1:]])

    # The kernel works in the gateway's folder: its transcripts are there, not beside
    # the notebook on the Lab server's side.
    sessions = kernel_gateway.work / ".amplifier" / "sessions"
    assert [p for p in sessions.iterdir() if (p / "events.jsonl").is_file()], sessions
    assert not (notebook.lab.root / ".amplifier").exists()
