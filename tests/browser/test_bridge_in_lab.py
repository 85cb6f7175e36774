"""The kernel–frontend bridge in JupyterLab (issue 19, items 1 and 4): the live notebook,
unsaved edits and Markdown included, reaches a prompt; an insert and a replace sent by the
kernel appear and are undone like a person's edits; with two tabs a request is applied
once; after a kernel restart the bridge comes back with the extension's load."""

from __future__ import annotations

import json
import re
from typing import Any

from lab_page import RUN_TIMEOUT_MS, NotebookPage
from playwright.sync_api import expect

# Echo: the scripted provider answers with the prompt it got, notebook context included.
SCRIPTED = json.dumps(
    {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": []}}],
    }
)
PLAN = f"%amplifier config {SCRIPTED}"
EDIT = (
    "import amplifier_jupyter.bridge as b\n"
    "await b.current().insert_cell('# inserted', 'markdown', index=0)\n"
    "await b.current().replace_source('cell-1', 'x = 3', expected='x = 2')\n"
    "try:\n"
    "    await b.current().replace_source('cell-1', 'x = 4', expected='x = 2')\n"
    "except b.SourceChanged as stale:\n"
    "    print('refused, the cell has', stale.current)"
)
RUN_LATER = (
    "import amplifier_jupyter.bridge as b\n"
    "_cell = await b.current().insert_cell(\"print('ran after')\")\n"
    "print(await b.current().queue_run(_cell.id))"
)
INSERT_ONCE = (
    "import amplifier_jupyter.bridge as b\n"
    "print((await b.current().insert_cell('# once', 'markdown', index=0)).index)"
)


def open_bridge(notebook: NotebookPage) -> None:
    expect(notebook.panel).to_have_attribute(
        "data-amplifier-bridge", "open", timeout=RUN_TIMEOUT_MS
    )


def markdown_cell(notebook: NotebookPage, name: str, index: int, source: str) -> None:
    """Make the cell at ``index`` of a written notebook a Markdown cell."""
    path = notebook.lab.root / name
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    cell = data["cells"][index]
    cell.update(cell_type="markdown", source=source)
    del cell["outputs"], cell["execution_count"]
    path.write_text(json.dumps(data), encoding="utf-8")


def test_the_live_notebook_is_read_and_edited_and_the_edits_undo(notebook: NotebookPage) -> None:
    cells = [PLAN, "x = 1", "", "%%amplifier --cells -1: --notebook\nWhat is here?", EDIT]
    notebook.lab.write_notebook("bridge.ipynb", cells)
    markdown_cell(notebook, "bridge.ipynb", 2, "# Notes\nNot saved yet.")
    notebook.open("bridge.ipynb")
    notebook.run_in_place(0)  # a magic line: the extension loads, the bridge opens
    open_bridge(notebook)
    notebook.run_in_place(1)
    # An edit that is neither run nor saved.
    notebook.click_editor(1)
    notebook.page.keyboard.press("Control+A")
    notebook.page.keyboard.type("x = 2")

    notebook.run_in_place(3)
    answer = notebook.output(3).locator(".jp-RenderedMarkdown")
    expect(answer).to_contain_text("edited since it ran (not run yet)", timeout=RUN_TIMEOUT_MS)
    expect(answer).to_contain_text("x = 2")
    expect(answer).to_contain_text("The live notebook bridge.ipynb")
    expect(answer).to_contain_text("Not saved yet.")

    notebook.run_in_place(4)
    expect(notebook.output(5)).to_contain_text("refused, the cell has x = 3")
    sources = [PLAN, "x = 3", "# Notes\nNot saved yet.", cells[3], EDIT]
    notebook.wait_for_sources(["# inserted", *sources])
    assert "dirty" in notebook.page.title() or notebook.page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.context.model.dirty"
    )

    # Undo: the replaced source in its editor, then the inserted cell in command mode.
    notebook.click_editor(2)
    expect(notebook.cell(2).locator(".cm-editor")).to_have_class(re.compile("cm-focused"))
    notebook.page.keyboard.press("Control+Z")
    notebook.wait_for_sources(["# inserted", PLAN, "x = 2", *sources[2:]])
    notebook.page.keyboard.press("Escape")
    notebook.page.keyboard.press("z")
    notebook.wait_for_sources([PLAN, "x = 2", *sources[2:]])


def test_two_tabs_apply_a_request_once_and_a_restart_brings_the_bridge_back(
    notebook: NotebookPage,
) -> None:
    cells = [PLAN, INSERT_ONCE, "%%amplifier --notebook\nStill live?", RUN_LATER]
    notebook.lab.write_notebook("tabs.ipynb", cells)
    notebook.open("tabs.ipynb")
    notebook.run_in_place(0)
    open_bridge(notebook)
    second = NotebookPage(notebook.page.context.new_page(), notebook.lab)
    second.page.goto(notebook.lab.url_for("tabs.ipynb").replace("?reset&", "?"))
    expect(second.cells.first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    open_bridge(second)  # the kernel has the extension: the new tab's probe says so

    notebook.page.bring_to_front()
    notebook.run_in_place(1)
    inserted = [page.sources().count("# once") for page in (notebook, second)]
    assert sorted(inserted) == [0, 1], inserted
    second.page.close()

    notebook.restart_kernel()
    expect(notebook.panel).not_to_have_attribute("data-amplifier-bridge", "open")
    notebook.wait_kernel_ready()
    # A magic line: the extension's silent load before it opens the bridge again.
    notebook.run_in_place(notebook.sources().index(PLAN))
    open_bridge(notebook)
    index = notebook.sources().index(cells[2])
    notebook.run_in_place(index)
    answer = notebook.output(index).locator(".jp-RenderedMarkdown")
    expect(answer).to_contain_text("The live notebook tabs.ipynb", timeout=RUN_TIMEOUT_MS)

    # A cell inserted below the running one and queued runs once that one is done.
    index = notebook.sources().index(RUN_LATER)
    notebook.run_in_place(index)
    expect(notebook.output(index)).to_contain_text("queued")
    assert notebook.sources()[index + 1] == "print('ran after')"
    expect(notebook.output(index + 1)).to_contain_text("ran after", timeout=RUN_TIMEOUT_MS)
    counts = notebook.execution_counts()
    assert counts[index + 1] == counts[index] + 1, counts
