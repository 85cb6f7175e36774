"""Answers and errors you can act on, in JupyterLab (issue 20, items 1, 2 and 4), with real
clicks: a finished answer's code block is copied to the clipboard (read back through the
page's clipboard, permission granted) and inserted below its prompt cell, not run; a live
panel's (a background run's) Insert below does the same through the lab extension; an error
output's Ask Amplifier inserts and runs a prompt cell that sends that cell's own error
(``--error N``); its Fix asks the agent for an edit of the failing cell, shown as a diff
and accepted.

``AMPLIFIER_UPDATE_SCREENSHOTS=1`` also writes ``docs/answer-and-error-actions.png`` (the
README's picture); otherwise it goes to ``test-artifacts/`` only.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from lab_page import ARTIFACTS, RUN_TIMEOUT_MS, NotebookPage
from lab_server import ROOT, LabServer
from playwright.sync_api import Locator, expect

FAILING = "values = [1, 2]\nvalues[5]"
FIXED = "values = [1, 2]\nvalues[1]"
TOTAL = "total = sum(values)\nprint(total)"
MEAN = "mean = sum(values) / len(values)"
WHY = "The list has two items; index 5 is past its end."
SCRIPT: list[Any] = [
    f"Like this:\n\n```python\n{TOTAL}\n```\n",
    f"The mean:\n\n```python\n{MEAN}\n```\n",
    WHY,
    # Fix: the edit of the failing cell; its cell is named by execution count (set below).
    None,
    "Fixed.",
]
ANSWER = "%%amplifier\nSum the values."
LIVE = "%%amplifier --background\nAnd the mean?"


def plan(failing_count: int) -> str:
    script = list(SCRIPT)
    edit = {"name": "notebook_edit", "input": {"cell": str(failing_count), "source": FIXED}}
    script[3] = {"text": "", "tool_calls": [edit]}
    return json.dumps(
        {
            "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
            "providers": [{"module": "provider-scripted", "config": {"script": script}}],
            "tools": [{"module": "tool-notebook-edit"}],
        }
    )


@pytest.fixture
def notebook(browser: Any, lab: LabServer) -> Iterator[NotebookPage]:
    """A page whose context may read and write the clipboard."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(20_000)
    try:
        yield NotebookPage(context.new_page(), lab)
    finally:
        context.close()


def shoot(notebook: NotebookPage, name: str, first: int, last: int) -> None:
    """A screenshot of cells ``first`` to ``last`` into ``test-artifacts/`` (and, with
    ``AMPLIFIER_UPDATE_SCREENSHOTS=1``, ``docs/``: the README's picture)."""
    top, bottom = notebook.cell(first).bounding_box(), notebook.cell(last).bounding_box()
    assert top is not None and bottom is not None
    clip = {
        "x": top["x"],
        "y": top["y"],
        "width": max(top["width"], bottom["width"]),
        "height": bottom["y"] + bottom["height"] - top["y"],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    notebook.page.screenshot(path=str(path), clip=clip)
    if os.environ.get("AMPLIFIER_UPDATE_SCREENSHOTS"):
        shutil.copyfile(path, ROOT / "docs" / f"{name}.png")


def actions(notebook: NotebookPage, index: int, name: str) -> Locator:
    return notebook.output(index).get_by_role("button", name=name, exact=True)


def test_insert_copy_ask_and_fix(notebook: NotebookPage) -> None:
    # The config cell runs as [1], the failing cell as [2]: the script's edit names [2].
    count = 2
    config = f"%amplifier config {plan(count)}"
    notebook.lab.write_notebook("actions.ipynb", [config, FAILING, ANSWER, LIVE])
    notebook.open("actions.ipynb")
    notebook.run_in_place(0)
    expect(notebook.panel).to_have_attribute(
        "data-amplifier-bridge", "open", timeout=RUN_TIMEOUT_MS
    )
    notebook.run_in_place(1)
    assert notebook.execution_counts()[:2] == [1, count]
    expect(actions(notebook, 1, "Ask Amplifier")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(actions(notebook, 1, "Fix")).to_be_visible()

    # The finished answer (Markdown): Copy puts the block on the clipboard, Insert below
    # puts it into a new code cell below the prompt cell, not run.
    notebook.run_in_place(2)
    expect(notebook.output(2).locator(".jp-RenderedMarkdown")).to_contain_text("Like this")
    # JupyterLab's Markdown renderer names the block's language on its code element.
    expect(notebook.output(2).locator("pre code.language-python")).to_have_count(1)
    shoot(notebook, "answer-and-error-actions", 1, 2)
    actions(notebook, 2, "Copy").click()
    # What was copied is the check (the button's "Copied" shows for 1.5 s only).
    notebook.page.wait_for_function(
        "async text => (await navigator.clipboard.readText()) === text", arg=TOTAL, timeout=10_000
    )
    actions(notebook, 2, "Insert below").click()
    notebook.wait_for_sources([config, FAILING, ANSWER, TOTAL, LIVE])
    assert notebook.execution_counts()[3] is None

    # The live panel (a background run stays a widget): its Insert below, through the
    # lab extension, puts the block below its cell.
    notebook.run_in_place(4)
    live = notebook.output(4).locator(".amplifier-live")
    expect(live.locator(".amplifier-code-text")).to_have_text(MEAN, timeout=RUN_TIMEOUT_MS)
    expect(live.locator(".amplifier-stop")).to_be_hidden(timeout=RUN_TIMEOUT_MS)
    # The widget's DOM is the cell's own (no shadow root, no iframe): its event reaches
    # the notebook's node.
    assert live.evaluate("node => node.getRootNode() === document")
    live.get_by_role("button", name="Insert below").click()
    # The cell is the effect; the button's "Inserted" shows for 1.5 s only, which a busy
    # machine's polling can miss, so it is not what the test waits for.
    notebook.wait_for_sources([*notebook.sources()[:4], LIVE, MEAN])

    # Ask Amplifier: a prompt cell below the failing one sends its error, and runs.
    actions(notebook, 1, "Ask Amplifier").click()
    ask = f"%%amplifier --error {count}\nWhy does cell [{count}] fail, and how do I fix it?"
    expect(notebook.output(2)).to_contain_text(WHY, timeout=RUN_TIMEOUT_MS)
    assert notebook.sources()[2] == ask
    expect(notebook.output(2)).to_contain_text(f"error of cell {count} IndexError")

    # Fix: the agent's edit of the failing cell shows as a diff; Accept applies it.
    actions(notebook, 1, "Fix").click()
    card = notebook.output(2).locator(".amplifier-approve")
    expect(card).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert notebook.sources()[2].startswith(f"%%amplifier --error {count}\nFix cell [{count}]")
    removed = card.locator(".amplifier-diff-line.mod-removed .amplifier-diff-text")
    added = card.locator(".amplifier-diff-line.mod-added .amplifier-diff-text")
    expect(removed).to_have_text(["values[5]"])
    expect(added).to_have_text(["values[1]"])
    notebook.screenshot("fix-card", notebook.cell(2))
    card.get_by_role("button", name="Accept", exact=True).click()
    expect(notebook.output(2).locator(".jp-RenderedMarkdown")).to_contain_text(
        "Fixed.", timeout=RUN_TIMEOUT_MS
    )
    assert notebook.sources()[1] == FIXED
