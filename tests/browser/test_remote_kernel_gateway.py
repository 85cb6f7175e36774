"""A kernel behind Jupyter Kernel Gateway (issue 22, item 1), driven in chromium.

JupyterLab runs with ``--gateway-url``: its pages and files stay local, its kernel is
started, spoken to (the websocket, comms included) and interrupted through the
gateway's API, in the gateway's working directory, as a kernel on a cluster would be.
One notebook, one flow: a prompt cell loads the extension by itself and reads an unsaved
edit through the bridge; its approval is answered with a click while it runs; a streamed
answer shows in the panel and the panel's Stop ends it; the kernel interrupt (■) stops
code the agent runs; the kernel edits the notebook through the bridge; the transcripts
are in the gateway's working directory, none beside the notebook the Lab server serves.
"""

from __future__ import annotations

from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, Reply, text_reply, tool_reply
from gateway_server import KernelGateway
from kernel_harness import fake_api_env
from lab_page import RUN_TIMEOUT_MS, NotebookPage
from playwright.sync_api import expect

CODE = "print(6 * 7)"
BLOCKING = "import time\nprint('blocking', flush=True)\ntime.sleep(60)\nprint('the rest', 'ran')"
STORY = "Once upon a time a kernel far away streamed its answer through a gateway."
# Five pieces of the story, further apart than the provider's 50 ms coalescing, then quiet.
STREAMING = Reply.from_spec({"text": STORY, "chunk_delay": 0.08, "stall_after": 8})
EDIT = (
    "import amplifier_jupyter.bridge as b\n"
    "await b.current().insert_cell('# from the remote kernel', 'markdown', index=0)\n"
    "await b.current().replace_source('cell-0', 'x = 3', expected='x = 2')"
)
CELLS = [
    "x = 1",
    "%%amplifier --cells -1:\nWhat does 6 * 7 print in Python? Run it to check.",
    "%%amplifier\nTell me a story.",
    "%amplifier approve allow python",
    "%%amplifier\nSleep a minute in Python.",
    EDIT,
]


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
    fake.reset()
    fake.enqueue(
        tool_reply("python", {"code": CODE}),
        text_reply("It prints **42**."),
        STREAMING,
        tool_reply("python", {"code": BLOCKING}),
    )
    notebook.lab.write_notebook("remote.ipynb", CELLS)
    notebook.open("remote.ipynb")
    kernel = notebook.page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id"
    )
    notebook.run_in_place(0)
    notebook.click_editor(0)  # an edit neither run nor saved: only the bridge sees it
    notebook.page.keyboard.press("Control+A")
    notebook.page.keyboard.type("x = 2")

    notebook.start(1)
    output = notebook.output(1)
    card = output.locator(".amplifier-panel .amplifier-approve")
    expect(card).to_contain_text(CODE, timeout=RUN_TIMEOUT_MS)
    expect(notebook.panel).to_have_attribute("data-amplifier-bridge", "open")
    card.get_by_role("button", name="Allow once").click()
    expect(output.locator(".jp-RenderedMarkdown strong")).to_have_text("42", timeout=30_000)
    prompt = fake.requests[0].body["messages"][0]["content"][0]["text"]
    assert "edited since it ran (not run yet):\n```python\nx = 2\n```" in prompt, prompt

    notebook.start(2)
    panel = notebook.output(2).locator(".amplifier-panel")
    expect(panel.locator(".amplifier-answer")).to_have_text(STORY[:30], timeout=30_000)
    panel.locator(".amplifier-stop").click()
    expect(panel.locator(".amplifier-status")).to_contain_text("Stopped after", timeout=20_000)
    notebook.wait_executed(2)

    notebook.run_in_place(3)
    notebook.start(4)
    output = notebook.output(4)
    expect(output).to_contain_text("blocking", timeout=30_000)
    notebook.interrupt_kernel()  # through the gateway's REST API: a signal to its kernel
    expect(output.locator(".amplifier-status")).to_contain_text("Stopped", timeout=20_000)
    notebook.wait_executed(4)
    expect(output).to_contain_text("KeyboardInterrupt")
    expect(output).not_to_contain_text("the rest ran")
    assert len(fake.requests) == 4, [r.body["messages"][-1] for r in fake.requests]

    notebook.run_in_place(5)
    notebook.wait_for_sources(["# from the remote kernel", "x = 3", *CELLS[1:]])

    # The kernel works in the gateway's folder: its transcripts are there, not beside
    # the notebook on the Lab server's side.
    sessions = kernel_gateway.work / ".amplifier" / "sessions"
    assert len([p for p in sessions.iterdir() if (p / "events.jsonl").is_file()]) >= 1
    assert not (notebook.lab.root / ".amplifier").exists()
    assert kernel in kernel_gateway.kernel_ids()
