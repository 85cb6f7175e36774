"""Steps a browser test of another frontend or another kernel setup repeats, as a user
takes them: an edit left unsaved, a prompt whose approval is clicked, a streamed answer
stopped from the panel, blocking code the agent runs. Each step asserts what it shows."""

from __future__ import annotations

from fake_anthropic import FakeAnthropic, Reply, text_reply, tool_reply
from lab_page import RUN_TIMEOUT_MS, NotebookPage
from playwright.sync_api import Locator, expect

CODE = "print(6 * 7)"
BLOCKING = "import time\nprint('blocking', flush=True)\ntime.sleep(60)\nprint('the rest', 'ran')"
STORY = "Once upon a time a notebook streamed its answer, word after word, into a panel."
# Five pieces of the story (each shown: they come further apart than the provider's 50 ms
# coalescing, modules/_deltas.py), then the stream goes quiet until Stop.
STREAMING = Reply.from_spec({"text": STORY, "chunk_delay": 0.08, "stall_after": 8})
# The cells the steps run, in this order, from the notebook's first cell.
CELLS = [
    "x = 1",
    "%%amplifier --cells -1:\nWhat does 6 * 7 print in Python? Run it to check.",
    "%%amplifier\nTell me a story.",
    "%amplifier approve allow python",
    "%%amplifier\nSleep a minute in Python.",
]


def enqueue_replies(fake: FakeAnthropic) -> None:
    """The model's side of the steps below, in order."""
    fake.reset()
    fake.enqueue(
        tool_reply("python", {"code": CODE}),
        text_reply("It prints **42**."),
        STREAMING,
        tool_reply("python", {"code": BLOCKING}),
    )


def prompt_reads_an_unsaved_edit_and_asks(notebook: NotebookPage, fake: FakeAnthropic) -> Locator:
    """Cells 0 and 1: run ``x = 1``, retype it ``x = 2`` (neither run nor saved), run the
    prompt (which loads the extension itself), click Allow once; returns its output."""
    notebook.run_in_place(0)
    notebook.click_editor(0)
    notebook.page.keyboard.press("Control+A")
    notebook.page.keyboard.type("x = 2")

    notebook.start(1)
    output = notebook.output(1)
    card = output.locator(".amplifier-panel .amplifier-approve")
    expect(card).to_contain_text(CODE, timeout=RUN_TIMEOUT_MS)
    expect(notebook.panel).to_have_attribute("data-amplifier-bridge", "open")
    card.get_by_role("button", name="Allow once").click()
    expect(output.locator(".jp-RenderedMarkdown strong")).to_have_text("42", timeout=30_000)
    # Only the bridge knows the edit: the kernel's history has x = 1, the file too.
    prompt = fake.requests[0].body["messages"][0]["content"][0]["text"]
    assert "edited since it ran (not run yet):\n```python\nx = 2\n```" in prompt, prompt
    return output


def streamed_answer_stopped(notebook: NotebookPage) -> None:
    """Cell 2: the answer shows in the panel as it streams; the panel's Stop ends it."""
    notebook.start(2)
    panel = notebook.output(2).locator(".amplifier-panel")
    expect(panel.locator(".amplifier-answer")).to_have_text(STORY[:30], timeout=30_000)
    panel.locator(".amplifier-stop").click()
    expect(panel.locator(".amplifier-status")).to_contain_text("Stopped after", timeout=20_000)
    notebook.wait_executed(2)


def blocking_code_started(notebook: NotebookPage) -> Locator:
    """Cells 3 and 4: allow python, run a prompt whose code sleeps a minute; returns the
    output once the code prints."""
    notebook.run_in_place(3)
    notebook.start(4)
    output = notebook.output(4)
    expect(output).to_contain_text("blocking", timeout=30_000)
    return output


def blocking_code_stopped(notebook: NotebookPage, output: Locator, fake: FakeAnthropic) -> None:
    """The sleeping code was interrupted (the minute did not pass) and the agent stopped."""
    expect(output.locator(".amplifier-status")).to_contain_text("Stopped", timeout=20_000)
    notebook.wait_executed(4)
    expect(output).to_contain_text("KeyboardInterrupt")
    expect(output).not_to_contain_text("the rest ran")
    assert len(fake.requests) == 4, [r.body["messages"][-1] for r in fake.requests]
