"""What a finished run leaves, opened in JupyterLab with chromium (issue 16, goal 5): a
stored notebook (run by nbclient, so saved unsigned: JupyterLab opens it untrusted).

With the lab extension, its summary renderer draws the run's summary data as a collapsed
``<details>``: the status line shows, the rows are hidden until a click opens it, then
every row shows. With the extension off, the ``text/html`` fallback shows the line and the
first rows as plain markup, nothing escaped into visible text.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from finished_run import CALLS, PROMPT, finished_run_notebook
from lab_page import NotebookPage
from playwright.sync_api import expect

EXTENSION = "amplifier-jupyter"
ROWS = 2 + 2 * CALLS  # the prompt, a model call and a tool per call, the last model call
HTML_ROWS = 25  # amplifier_jupyter/ui/summary.py


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    return finished_run_notebook(tmp_path_factory.mktemp("run"))


def open_stored(notebook: NotebookPage, stored: nbformat.NotebookNode, name: str) -> None:
    nbformat.write(stored, Path(notebook.lab.root) / name)
    notebook.open(name)
    expect(notebook.output(2).locator(".jp-RenderedMarkdown strong")).to_have_text("4")


def untrusted(notebook: NotebookPage, index: int) -> bool:
    return notebook.page.evaluate(
        "i => !window.jupyterapp.shell.currentWidget.content.model.cells.get(i).trusted",
        index,
    )


def test_the_extension_draws_a_collapsed_timeline_that_opens_on_click(
    notebook: NotebookPage, stored: nbformat.NotebookNode
) -> None:
    open_stored(notebook, stored, "finished.ipynb")
    assert untrusted(notebook, 2)  # safe: the renderer is used for untrusted outputs too
    output = notebook.output(2)
    summary = output.locator(".amplifier-summary-output .amplifier-summary")
    expect(summary).to_have_count(1)
    expect(output.locator("[data-mime-type='text/html']")).to_have_count(0)
    details = summary.locator("details.amplifier-timeline")
    line = details.locator("summary")
    expect(line.locator(".amplifier-status")).to_contain_text("Done in")
    expect(line.locator(".amplifier-status")).to_contain_text(f"{CALLS + 1} model calls")
    expect(line.locator(".amplifier-count")).to_have_text(f" · {ROWS} events")
    rows = details.locator(".amplifier-entry")
    expect(rows).to_have_count(ROWS)
    assert details.evaluate("d => d.open") is False
    expect(rows.first).to_be_hidden()
    notebook.screenshot("summary-collapsed", notebook.cell(2))

    line.click()

    assert details.evaluate("d => d.open") is True
    expect(rows.first).to_be_visible()
    expect(rows.first).to_have_text(f"› {PROMPT}")
    tools = details.locator(".amplifier-entry-tool")
    expect(tools).to_have_count(CALLS)
    # The data's text stays text: no <b> made bold, no < lost.
    expect(tools.first.locator(".amplifier-result")).to_have_text("→ echo: <b>0</b> < 2")
    expect(tools.last).to_be_visible()
    notebook.screenshot("summary-open", notebook.cell(2))


def test_without_the_extension_the_html_fallback_shows(
    notebook: NotebookPage, stored: nbformat.NotebookNode
) -> None:
    notebook.lab.disable_extensions({EXTENSION: True})
    try:
        open_stored(notebook, stored, "fallback.ipynb")
        output = notebook.output(2)
        expect(output.locator(".amplifier-summary-output")).to_have_count(0)
        summary = output.locator("[data-mime-type='text/html'] .amplifier-summary")
        expect(summary.locator(".amplifier-status")).to_contain_text("Done in")
        expect(summary.locator(".amplifier-count")).to_have_text(f"Timeline · {ROWS} events")
        rows = summary.locator(".amplifier-entry")
        expect(rows).to_have_count(HTML_ROWS)
        expect(rows.first).to_be_visible()
        expect(rows.first).to_have_text(f"› {PROMPT}")
        expect(summary.locator(".amplifier-more")).to_have_text(f"… {ROWS - HTML_ROWS} more")
        text = summary.inner_text()
        assert "<div" not in text and "<span" not in text and "<details" not in text, text
        notebook.screenshot("summary-fallback", notebook.cell(2))
    finally:
        notebook.lab.disable_extensions({EXTENSION: False})
