"""An approval answered with the mouse: a ``%%amplifier`` cell against the fake Messages API
asks to run Python, ``Allow once`` is clicked in the panel, the tool runs and its result
goes back to the model and shows in the timeline.

``AMPLIFIER_UPDATE_SCREENSHOTS=1`` also writes the panel's screenshot to
``docs/panel.png`` (the README's picture); otherwise it goes to ``test-artifacts/`` only.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import fake_api_env
from lab_page import NotebookPage
from lab_server import ROOT
from playwright.sync_api import expect

LOAD = "%load_ext amplifier_jupyter"
CODE = "print(6 * 7)"
PROMPT = "%%amplifier\nWhat does 6 * 7 print in Python? Run it to check."


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    """Kernels reach the fake (tests/conftest.py) through the SDK's own environment variables."""
    return fake_api_env(fake.url)


def tool_results(body: dict[str, Any]) -> list[str]:
    """The text of every tool_result in a request body."""
    found = []
    for message in body["messages"]:
        if message["role"] != "user" or isinstance(message["content"], str):
            continue
        for block in message["content"]:
            if block.get("type") == "tool_result":
                content = block.get("content", "")
                if not isinstance(content, str):
                    content = "".join(b.get("text", "") for b in content)
                found.append(content)
    return found


def test_allow_once_clicked_runs_the_tool_and_shows_its_result(
    notebook: NotebookPage, fake: FakeAnthropic
) -> None:
    fake.reset()
    fake.enqueue(tool_reply("python", {"code": CODE}), "It prints **42**.")
    notebook.lab.write_notebook("approve.ipynb", [LOAD, PROMPT])
    notebook.open("approve.ipynb")
    notebook.run_in_place(0)
    notebook.start(1)

    panel = notebook.output(1).locator(".amplifier-panel")
    card = panel.locator(".amplifier-approve")
    expect(card).to_contain_text("python", timeout=30_000)
    expect(card).to_contain_text(CODE)
    expect(panel.locator(".amplifier-status")).to_contain_text("Waiting for approval")
    shot = notebook.screenshot("panel", notebook.cell(1))
    if os.environ.get("AMPLIFIER_UPDATE_SCREENSHOTS"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "panel.png")

    card.get_by_role("button", name="Allow once").click()

    expect(card).to_have_count(0)
    expect(notebook.output(1).locator(".jp-RenderedMarkdown strong")).to_have_text(
        "42", timeout=30_000
    )
    expect(panel.locator(".amplifier-status")).to_contain_text("Done")
    # The model got the tool's output back.
    assert len(fake.requests) == 2
    results = tool_results(fake.requests[1].body)
    assert len(results) == 1 and results[0].split()[-1] == "42", results
    # The folded timeline opens with a click and shows the decision and the result.
    panel.locator(".amplifier-timeline summary").click()
    expect(panel.locator(".amplifier-entry-allowed")).to_contain_text("python")
    expect(panel.locator(".amplifier-entry-tool")).to_contain_text(re.compile(r"→.*\b42\b"))
    notebook.screenshot("panel-after-approval", notebook.cell(1))
