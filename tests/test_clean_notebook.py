"""A finished run leaves a clean notebook: no live widget in the kernel, no widget state or
widget output in the saved notebook, and outputs that read well where it is opened (the
answer as Markdown, the timeline as static ``<details>`` HTML), here through nbclient and
``nbconvert --to html`` with sanitizing on."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from kernel_harness import Kernel, offline_env
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from widget_comms import Widgets, configure, execute, run_python

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE = "live while the run goes on"


def test_many_cells_leave_no_more_widgets_than_three(kernel: Kernel) -> None:
    # Each answer takes longer than OPEN_AFTER (ui/panel.py), so each run opens its widget.
    configure(kernel, ["Fine."] * 30, chunk_delay=0.3)
    widgets = Widgets()
    for i in range(30):
        assert execute(kernel, f"%%amplifier\nCell {i}.", widgets.feed).markdown == ["Fine."]
    # One widget a cell (one comm_open), closed at its end.
    assert widgets.opened == 30 and widgets.alive() == []
    alive = run_python(kernel, "import ipywidgets\nprint(len(ipywidgets.Widget.widgets))")
    assert int(alive) <= 3, alive


def test_a_short_run_sends_no_comm_message_and_leaves_its_summary(kernel: Kernel) -> None:
    configure(kernel, ["Fine."])
    widgets = Widgets()
    assert execute(kernel, "%%amplifier\nQuick.", widgets.feed).markdown == ["Fine."]
    assert widgets.opened == 0 and widgets.comm_messages == 0
    summary = widgets.summary()
    assert summary is not None and WIDGET_VIEW not in summary
    assert "Done in" in widgets.status() and "Quick." in widgets.timeline()


def test_an_executed_notebook_converts_to_clean_html(tmp_path: Path) -> None:
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": ["It is **4**."]}}],
        "tools": [],
    }
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext amplifier_jupyter"),
        nbformat.v4.new_code_cell(f"_plan = {plan!r}\n%amplifier config _plan"),
        nbformat.v4.new_code_cell("%%amplifier\nWhat is 2 + 2?"),
    ]
    # nbclient keeps the state of every widget it saw opened (it ignores comm_close):
    # without it, the panel's closed model would be in the saved notebook's metadata.
    client = NotebookClient(
        nb,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=offline_env())
    assert "widgets" not in nb.metadata
    outputs = nb.cells[2].outputs
    # The panel's output was replaced by its summary, then the answer: no widget left.
    assert [o.output_type for o in outputs] == ["display_data", "display_data"], outputs
    summary, answer = (o.data for o in outputs)
    assert WIDGET_VIEW not in summary and "<details" in summary["text/html"]
    assert summary["text/plain"].startswith("amplifier: Done in")
    assert answer["text/markdown"] == "It is **4**."
    for sanitize in (True, False):
        html, _ = HTMLExporter(sanitize_html=sanitize).from_notebook_node(nb)
        assert "<strong>4</strong>" in html  # the answer, as Markdown
        assert 'class="amplifier-entry amplifier-entry-prompt"' in html  # the timeline's lines
        assert "What is 2 + 2?" in html and "Done in" in html
        assert LIVE not in html and "widget-view" not in html
        # nbconvert's sanitizer knows no <details>: it escapes the bare tags.
        details = "&lt;details&gt;&lt;summary&gt;" if sanitize else "<details><summary>"
        assert re.search(re.escape(details) + r"<span>Timeline · \d+ events", html) or (
            not sanitize and re.search(r"<details><summary><span[^>]*>Timeline · \d+", html)
        ), html[html.find("amplifier-summary") :][:600]
