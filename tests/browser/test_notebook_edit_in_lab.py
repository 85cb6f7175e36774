"""The agent edits the notebook in JupyterLab (issue 19, items 2, 3 and 6): the scripted
model inserts a cell and proposes edits; each shows on the panel's card (the new cell, or a
diff) and is decided with real clicks: Accept applies it and undo takes it back, Reject
leaves the cell as it was, Accept and run runs it after the prompt, and an Accept on a card
whose cell the user changed meanwhile is not taken: the card shows the new diff.

``AMPLIFIER_UPDATE_SCREENSHOTS=1`` also writes the diff card's screenshot to
``docs/diff-card.png`` (the README's picture); otherwise it goes to ``test-artifacts/`` only.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from lab_page import RUN_TIMEOUT_MS, NotebookPage
from lab_server import ROOT
from playwright.sync_api import Locator, expect


def edit(cell: str, source: str) -> dict[str, Any]:
    return {
        "text": "",
        "tool_calls": [{"name": "notebook_edit", "input": {"cell": cell, "source": source}}],
    }


INSERTED = "print('inserted', x)"
FIRST = "data = [3, 1, 4, 1, 5]\nx = len(data)\nprint(x)"
MEAN = "data = [3, 1, 4, 1, 5]\nx = sum(data) / len(data)  # the mean\nprint(f'mean {x:.2f}')"
SCRIPT = [
    {"text": "", "tool_calls": [{"name": "notebook_insert", "input": {"source": INSERTED}}]},
    "Inserted.",
    edit("cell-1", MEAN),
    "Edited.",
    edit("cell-1", "x = 3"),
    "Left alone.",
    edit("cell-1", "x = 4\nprint('x is', x)"),
    "Queued.",
    edit("cell-1", "x = 5\nprint('x is', x)"),
    "Asked again.",
]
PLAN = {
    "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
    "providers": [{"module": "provider-scripted", "config": {"script": SCRIPT}}],
    "tools": [{"module": "tool-notebook-edit"}],
}
CONFIG = f"%amplifier config {json.dumps(PLAN)}"
INSERT = "%%amplifier\nAdd a cell that prints x."
ACCEPT = "%%amplifier\nMake x the mean of data."
REJECT = "%%amplifier\nMake x 3."
RUN = "%%amplifier\nMake x 4 and run it."
CHANGED = "%%amplifier\nMake x 5."


def card_of(notebook: NotebookPage, prompt: str) -> tuple[int, Locator]:
    """Run a prompt cell; its index and its card once it shows."""
    index = notebook.sources().index(prompt)
    notebook.start(index)
    card = notebook.output(index).locator(".amplifier-approve")
    expect(card).to_be_visible(timeout=RUN_TIMEOUT_MS)
    return index, card


def lines(card: Locator, kind: str) -> Locator:
    return card.locator(f".amplifier-diff-line.mod-{kind} .amplifier-diff-text")


def wait_source(notebook: NotebookPage, index: int, source: str) -> None:
    """Wait until the cell at ``index`` has exactly ``source`` (fails showing it)."""
    sources = notebook.sources()
    if sources[index] != source:
        expected = [*sources[:index], source, *sources[index + 1 :]]
        notebook.wait_for_sources(expected)


def answered(notebook: NotebookPage, index: int, text: str) -> None:
    answer = notebook.output(index).locator(".jp-RenderedMarkdown")
    expect(answer).to_contain_text(text, timeout=RUN_TIMEOUT_MS)


def test_the_agent_inserts_and_edits_cells_each_reviewed_on_the_card(
    notebook: NotebookPage,
) -> None:
    notebook.lab.write_notebook(
        "edits.ipynb", [CONFIG, FIRST, INSERT, ACCEPT, REJECT, RUN, CHANGED]
    )
    notebook.open("edits.ipynb")
    notebook.run_in_place(0)
    expect(notebook.panel).to_have_attribute(
        "data-amplifier-bridge", "open", timeout=RUN_TIMEOUT_MS
    )
    notebook.run_in_place(1)

    # An insert: the new cell's lines, all added; Accept puts it below the prompt.
    index, card = card_of(notebook, INSERT)
    expect(card).to_contain_text("insert a code cell below this prompt cell")
    expect(lines(card, "added")).to_have_text([INSERTED])
    card.get_by_role("button", name="Accept", exact=True).click()
    answered(notebook, index, "Inserted.")
    assert notebook.sources()[index + 1] == INSERTED

    # An edit, shown as a diff; Accept applies it; undo in the cell takes it back.
    index, card = card_of(notebook, ACCEPT)
    expect(lines(card, "kept")).to_have_text(["data = [3, 1, 4, 1, 5]"])
    expect(lines(card, "removed")).to_have_text(["x = len(data)", "print(x)"])
    expect(lines(card, "added")).to_have_text(MEAN.splitlines()[1:])
    buttons = card.locator(".amplifier-approve-option")
    expect(buttons).to_have_text(["Accept", "Accept and run", "Reject", "Allow always"])
    shot = notebook.screenshot("diff-card", notebook.cell(index))
    if os.environ.get("AMPLIFIER_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, ROOT / "docs" / "diff-card.png")
    card.get_by_role("button", name="Accept", exact=True).click()
    answered(notebook, index, "Edited.")
    assert notebook.sources()[1] == MEAN
    notebook.click_editor(1)
    notebook.page.keyboard.press("Control+Z")
    wait_source(notebook, 1, FIRST)

    # Reject: the cell stays as it is, and the model is told.
    index, card = card_of(notebook, REJECT)
    card.get_by_role("button", name="Reject").click()
    answered(notebook, index, "Left alone.")
    assert notebook.sources()[1] == FIRST

    # Accept and run: the edit, then the cell runs once the prompt cell is done.
    index, card = card_of(notebook, RUN)
    card.get_by_role("button", name="Accept and run").click()
    answered(notebook, index, "Queued.")
    wait_source(notebook, 1, "x = 4\nprint('x is', x)")
    expect(notebook.output(1)).to_contain_text("x is 4", timeout=RUN_TIMEOUT_MS)

    # The user edits the cell while the card is open: the Accept is not taken, the card
    # shows the diff against the cell as it is now, and nothing overwrote the user's edit.
    index, card = card_of(notebook, CHANGED)
    expect(lines(card, "removed")).to_have_text(["x = 4"])
    notebook.click_editor(1)
    notebook.page.keyboard.press("Control+A")
    notebook.page.keyboard.type("x = 40")
    card.get_by_role("button", name="Accept", exact=True).click()
    expect(card).to_contain_text("The cell changed since this was proposed")
    expect(lines(card, "removed")).to_have_text(["x = 40"])
    expect(lines(card, "added")).to_have_text(["x = 5", "print('x is', x)"])
    assert notebook.sources()[1] == "x = 40"
    notebook.screenshot("diff-card-changed", notebook.cell(index))
    card.get_by_role("button", name="Reject").click()
    answered(notebook, index, "Asked again.")
    assert notebook.sources()[1] == "x = 40"
