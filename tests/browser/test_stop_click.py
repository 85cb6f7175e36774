"""The Stop button clicked while the python tool's code blocks the kernel (``time.sleep``).

JupyterLab sends widget messages to a subshell (ipykernel 7, ipywidgets 8), which
runs beside the blocked main thread: the click reaches the kernel at once and
interrupts the code as the kernel's interrupt does (``KeyboardInterrupt`` in the
code, the rest of it not run), the agent stops, and the next cell works.
"""

from __future__ import annotations

import time

import pytest
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import fake_api_env
from lab_page import NotebookPage
from playwright.sync_api import expect

SETUP = "%load_ext amplifier_jupyter\n%amplifier approve allow python"
CODE = "import time\nprint('blocking', flush=True)\ntime.sleep(60)\nprint('the rest', 'ran')"
PROMPT = "%%amplifier\nSleep a minute in Python."
NEXT = "%%amplifier\nStill there?"


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    """Kernels reach the fake (tests/conftest.py) through the SDK's own environment variables."""
    return fake_api_env(fake.url)


def test_stop_clicked_during_blocking_code_interrupts_it(
    notebook: NotebookPage, fake: FakeAnthropic
) -> None:
    fake.reset()
    fake.enqueue(tool_reply("python", {"code": CODE}), "Still here.")
    notebook.lab.write_notebook("stop.ipynb", [SETUP, PROMPT, NEXT])
    notebook.open("stop.ipynb")
    notebook.run_in_place(0)
    notebook.start(1)

    output = notebook.output(1)
    panel = output.locator(".amplifier-panel")
    status = panel.locator(".amplifier-status")
    expect(output).to_contain_text("blocking", timeout=30_000)
    # A click reaches this code, so the panel does not send the user to the interrupt.
    expect(status).not_to_contain_text("interrupt the kernel")
    clicked = time.monotonic()
    panel.locator(".amplifier-stop").click()
    # The code sleeps a minute: this only passes if the click interrupted it.
    expect(status).to_contain_text("Stopped after", timeout=20_000)
    print(f"Stop click to 'Stopped': {time.monotonic() - clicked:.2f} s")
    notebook.wait_executed(1)
    expect(output).to_contain_text("KeyboardInterrupt")
    expect(output).not_to_contain_text("the rest ran")
    panel.locator(".amplifier-timeline summary").click()
    expect(panel.locator(".amplifier-entry-tool")).to_contain_text("KeyboardInterrupt")
    assert len(fake.requests) == 1  # the agent stopped: no second model call

    notebook.start(2)
    expect(notebook.output(2).locator(".jp-RenderedMarkdown")).to_contain_text(
        "Still here.", timeout=30_000
    )
    notebook.screenshot("stop-during-blocking-code", notebook.cell(1))
