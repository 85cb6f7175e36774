"""The same lab extension in Notebook 7 (``jupyter notebook``: issues 16 and 19), in chromium.

One notebook, one flow (prompt_flows.py): a prompt cell loads the extension by itself (no
load cell) and reads, through the bridge, an edit that is neither run nor saved; its
approval question is answered with a click while it runs; the finished run leaves the
summary, drawn collapsed by the extension's renderer; a streamed answer shows in the panel
while it streams, and the panel's Stop ends it; Stop also reaches code that blocks the
kernel (Notebook 7 sends widget messages to a subshell, as JupyterLab does).
"""

from __future__ import annotations

from typing import Any

import prompt_flows as flow
import pytest
from fake_anthropic import FakeAnthropic
from kernel_harness import fake_api_env
from lab_page import NotebookPage
from playwright.sync_api import expect


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    return fake_api_env(fake.url)


@pytest.fixture(scope="module")
def lab_options() -> dict[str, Any]:
    return {"app": "notebook"}


def test_notebook7_runs_prompts_with_clicks_the_bridge_and_the_summary(
    notebook: NotebookPage, fake: FakeAnthropic
) -> None:
    flow.enqueue_replies(fake)
    notebook.lab.write_notebook("seven.ipynb", flow.CELLS)
    notebook.open("seven.ipynb")
    expect(notebook.page).to_have_url(f"{notebook.lab.url}/notebooks/seven.ipynb")
    output = flow.prompt_reads_an_unsaved_edit_and_asks(notebook, fake)

    summary = output.locator(".amplifier-summary-output .amplifier-summary")
    details = summary.locator("details.amplifier-timeline")
    expect(details.locator("summary .amplifier-status")).to_contain_text("Done in")
    assert details.evaluate("d => d.open") is False
    expect(details.locator(".amplifier-entry").first).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator(".amplifier-entry-allowed")).to_contain_text("python")
    notebook.screenshot("notebook7-summary", notebook.cell(1))

    flow.streamed_answer_stopped(notebook)

    output = flow.blocking_code_started(notebook)
    panel = output.locator(".amplifier-panel")
    # A click reaches this code, so the panel does not send the user to the interrupt.
    expect(panel.locator(".amplifier-status")).not_to_contain_text("interrupt the kernel")
    panel.locator(".amplifier-stop").click()
    flow.blocking_code_stopped(notebook, output, fake)
