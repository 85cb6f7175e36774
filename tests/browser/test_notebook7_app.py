"""The same lab extension in Notebook 7 (``jupyter notebook``: issues 16 and 19), in chromium.

One notebook, one flow: a prompt cell loads the extension by itself (no load cell) and
reads, through the bridge, an edit that is neither run nor saved; its approval question is
answered with a click while it runs; the finished run leaves the summary, drawn collapsed
by the extension's renderer; a streamed answer shows in the panel while it streams, and the
panel's Stop ends it; Stop also reaches code that blocks the kernel (Notebook 7 sends widget
messages to a subshell, as JupyterLab does).
"""

from __future__ import annotations

from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, Reply, text_reply, tool_reply
from kernel_harness import fake_api_env
from lab_page import RUN_TIMEOUT_MS, NotebookPage
from playwright.sync_api import expect

CODE = "print(6 * 7)"
BLOCKING = "import time\nprint('blocking', flush=True)\ntime.sleep(60)\nprint('the rest', 'ran')"
STORY = "Once upon a time a notebook streamed its answer, word after word, into a panel."
# Five pieces of the story (each shown: they come further apart than the provider's 50 ms
# coalescing), then the stream goes quiet until Stop.
STREAMING = Reply.from_spec({"text": STORY, "chunk_delay": 0.08, "stall_after": 8})
CELLS = [
    "x = 1",
    "%%amplifier --cells -1:\nWhat does 6 * 7 print in Python? Run it to check.",
    "%%amplifier\nTell me a story.",
    "%amplifier approve allow python",
    "%%amplifier\nSleep a minute in Python.",
]


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    return fake_api_env(fake.url)


@pytest.fixture(scope="module")
def lab_options() -> dict[str, Any]:
    return {"app": "notebook"}


def test_notebook7_runs_prompts_with_clicks_the_bridge_and_the_summary(
    notebook: NotebookPage, fake: FakeAnthropic
) -> None:
    fake.reset()
    fake.enqueue(
        tool_reply("python", {"code": CODE}),
        text_reply("It prints **42**."),
        STREAMING,
        tool_reply("python", {"code": BLOCKING}),
    )
    notebook.lab.write_notebook("seven.ipynb", CELLS)
    notebook.open("seven.ipynb")
    expect(notebook.page).to_have_url(f"{notebook.lab.url}/notebooks/seven.ipynb")
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

    summary = output.locator(".amplifier-summary-output .amplifier-summary")
    details = summary.locator("details.amplifier-timeline")
    expect(details.locator("summary .amplifier-status")).to_contain_text("Done in")
    assert details.evaluate("d => d.open") is False
    expect(details.locator(".amplifier-entry").first).to_be_hidden()
    details.locator("summary").click()
    expect(details.locator(".amplifier-entry-allowed")).to_contain_text("python")
    notebook.screenshot("notebook7-summary", notebook.cell(1))

    notebook.start(2)
    panel = notebook.output(2).locator(".amplifier-panel")
    answer = panel.locator(".amplifier-answer")
    expect(answer).to_have_text(STORY[:30], timeout=30_000)  # what came before the quiet
    panel.locator(".amplifier-stop").click()
    expect(panel.locator(".amplifier-status")).to_contain_text("Stopped after", timeout=20_000)
    notebook.wait_executed(2)

    notebook.run_in_place(3)
    notebook.start(4)
    output = notebook.output(4)
    panel = output.locator(".amplifier-panel")
    expect(output).to_contain_text("blocking", timeout=30_000)
    expect(panel.locator(".amplifier-status")).not_to_contain_text("interrupt the kernel")
    panel.locator(".amplifier-stop").click()
    # The code sleeps a minute: this only passes if the click interrupted it.
    expect(panel.locator(".amplifier-status")).to_contain_text("Stopped after", timeout=20_000)
    notebook.wait_executed(4)
    expect(output).to_contain_text("KeyboardInterrupt")
    expect(output).not_to_contain_text("the rest ran")
    assert len(fake.requests) == 4, [r.body["messages"][-1] for r in fake.requests]
