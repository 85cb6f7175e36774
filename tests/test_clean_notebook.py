"""A finished run leaves a clean notebook: no live widget in the kernel, no widget state or
widget output in the saved notebook, and outputs that read well where it is opened (the
answer as Markdown; the summary line and the timeline's rows as static HTML that
nbconvert's sanitizer keeps as it is, and as data for the lab extension), here through
nbclient and ``nbconvert --to html`` with sanitizing on and off."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from finished_run import CALLS, PROMPT, finished_run_notebook
from kernel_harness import Kernel
from nbconvert import HTMLExporter
from widget_comms import SUMMARY_MIME, Widgets, configure, execute, run_python

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE = "live while the run goes on"
HTML_ROWS = 25  # ui/summary.py
# Markup our summary writes; escaped, it would show as text.
SUMMARY_CLASS = "amplifier-panel amplifier-summary"
OUR_TAGS = re.compile(r"&lt;/?(div|span|code|details|summary|table|tbody|tr|td)\b")


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


class _Summary(HTMLParser):
    """The summary's markup as parsed, from its root ``<div>`` to the end of it: its tags
    with their attributes but ``style`` (a sanitizer drops it), and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, ...]] = []
        self.depth = 0
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kept = {name: value or "" for name, value in attrs if name != "style"}
        if not self.done and (self.depth or kept.get("class") == SUMMARY_CLASS):
            self.depth += tag == "div"
            self.events.append(("start", tag, *sorted(f"{k}={v}" for k, v in kept.items())))

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.events.append(("end", tag))
            self.depth -= tag == "div"
            self.done = not self.depth

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.events.append(("text", data))

    def lines(self) -> list[str]:
        """The text a reader sees, a line per ``<div>``."""
        breaks = {("start", "div"): "\n"}
        text = "".join(e[1] if e[0] == "text" else breaks.get(e[:2], "") for e in self.events)
        return [line.strip() for line in text.splitlines() if line.strip()]


def parsed_summary(markup: str) -> _Summary:
    parser = _Summary()
    parser.feed(markup)
    assert parser.done, "no summary in the markup"
    return parser


def test_an_executed_notebook_converts_to_clean_html(tmp_path: Path) -> None:
    nb = finished_run_notebook(tmp_path)
    assert "widgets" not in nb.metadata
    outputs = nb.cells[2].outputs
    # The panel's output was replaced by its summary, then the answer: no widget left.
    assert [o.output_type for o in outputs] == ["display_data", "display_data"], outputs
    summary, answer = (o.data for o in outputs)
    assert WIDGET_VIEW not in summary and "<details" not in summary["text/html"]
    assert summary["text/plain"].startswith("amplifier: Done in")
    assert answer["text/markdown"] == "It is **4**."

    # The data the lab extension draws: the line, the outcome and every row.
    data = summary[SUMMARY_MIME]
    assert data["status"].startswith("Done in") and data["outcome"] == "done"
    assert f"{CALLS + 1} model calls" in data["status"] and " out" in data["status"]
    rows = data["rows"]
    assert data["count"] == len(rows) == 2 + 2 * CALLS and data["more"] == 0
    assert rows[0] == {"kind": "prompt", "mark": "›", "text": PROMPT}
    tools = [row for row in rows if row["kind"] == "tool"]
    assert [t["result"] for t in tools] == [f"echo: <b>{i}</b> < 2" for i in range(CALLS)]

    # What a reader sees: the line, the count, the first rows (as the text form has them),
    # then how many more.
    plain = summary["text/plain"].splitlines()
    expected = [
        data["status"],
        f"Timeline · {data['count']} events",
        *(line.strip() for line in plain[2 : 2 + HTML_ROWS]),
        f"… {data['count'] - HTML_ROWS} more",
    ]
    assert plain[0] == f"amplifier: {data['status']}" and "echo: <b>0</b> < 2" in expected[4]
    fallback = parsed_summary(summary["text/html"])
    assert fallback.lines() == expected, fallback.lines()
    for sanitize in (True, False):
        html, _ = HTMLExporter(sanitize_html=sanitize).from_notebook_node(nb)
        assert "<strong>4</strong>" in html  # the answer, as Markdown
        assert LIVE not in html and "widget-view" not in html
        assert not OUR_TAGS.search(html), OUR_TAGS.search(html)
        # The sanitizer keeps every tag, class and word of the summary: only styles go.
        assert parsed_summary(html).events == fallback.events
