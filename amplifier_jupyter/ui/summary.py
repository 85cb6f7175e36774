"""The summary a finished run leaves in place of its live panel: one output bundle.

- ``text/html``: the status line, then the timeline as one row per entry
  (at most ``HTML_ROWS``, then a "… N more" row), built only from the tags
  and attributes nbconvert's sanitizer keeps (``div``, ``span``, ``code``,
  ``class``: docs/design.md, fact 35), so it reads the same sanitized or
  not, in JupyterLab without this package's extension, VS Code and GitHub.
  No ``<details>`` (escaped into visible text) and no ``<table>`` (its
  implied ``<tbody>`` is). The inline styles are dropped by a sanitizer and
  only make it look better where they are kept.
- ``SUMMARY_MIME`` (JSON): the same as data (the line, the outcome, the rows);
  the lab extension renders it as a collapsed ``<details>``
  (``labextension/src/summary.ts``), ranked before ``text/html``.
- ``text/plain``: for readers without HTML.
"""

from __future__ import annotations

import html
from typing import Any

from amplifier_jupyter.ui.panel_html import TIMELINE_LIMIT, StatusLine, count_text
from amplifier_jupyter.ui.style import CODE_FONT, FAINT, LEVEL_COLOURS, MUTED, UI_FONT
from amplifier_jupyter.ui.timeline import Entry, Timeline

SUMMARY_MIME = "application/vnd.amplifier-jupyter.summary+json"
# The rows the static HTML shows; the rest are counted on a "… N more" row.
HTML_ROWS = 25
# The rows the JSON carries (the extension's <details> is collapsed: it can hold more).
DATA_ROWS = TIMELINE_LIMIT


def _row_html(entry: Entry) -> str:
    colour = LEVEL_COLOURS.get(entry.level, MUTED)
    # The mark's space is real text: without the styles the line still reads "› prompt".
    parts = [f'<span class="amplifier-mark">{html.escape(entry.mark)} </span>']
    if entry.child:
        parts.append(
            f'<span class="amplifier-child" style="color: {FAINT}">'
            f"{html.escape(entry.child)} › </span>"
        )
    parts.append(f'<span class="amplifier-text">{html.escape(entry.text)}</span>')
    if entry.detail:
        parts.append(
            f' <code class="amplifier-detail" style="color: {FAINT}; {CODE_FONT}">'
            f"{html.escape(entry.detail)}</code>"
        )
    if entry.result:
        parts.append(f' <span class="amplifier-result">→ {html.escape(entry.result)}</span>')
    return (
        f'<div class="amplifier-entry amplifier-entry-{html.escape(entry.kind)}" '
        f'style="color: {colour}; white-space: nowrap; overflow: hidden; '
        f'text-overflow: ellipsis">{"".join(parts)}</div>'
    )


def _more_html(hidden: int) -> str:
    return f'<div class="amplifier-more" style="color: {FAINT}">… {hidden} more</div>'


def summary_html(status: StatusLine, timeline: Timeline) -> str:
    """The static summary: the status line, then the first ``HTML_ROWS`` timeline rows."""
    shown = timeline.entries[:HTML_ROWS]
    hidden = len(timeline.entries) - len(shown)
    rows = "".join(_row_html(entry) for entry in shown) + (_more_html(hidden) if hidden else "")
    return (
        '<div class="amplifier-panel amplifier-summary" '
        f'style="border-left: 2px solid var(--jp-border-color2); padding: 2px 0 2px 10px; '
        f'margin: 4px 0; {UI_FONT}">'
        f'<div class="amplifier-status">{status.html()}</div>'
        # The timeline's own div has no attributes (tests/widget_comms.py splits on it).
        f'<div class="amplifier-timeline"><div class="amplifier-count" '
        f'style="color: {MUTED}">{count_text(timeline)}</div>'
        f'<div class="amplifier-entries" style="padding: 2px 0 2px 2px; color: {MUTED}">'
        f"{rows}</div></div></div>"
    )


def _row_data(entry: Entry) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": entry.kind, "mark": entry.mark, "text": entry.text}
    for key in ("detail", "result", "child"):
        value = getattr(entry, key)
        if value:
            row[key] = value
    if entry.level != "info":
        row["level"] = entry.level
    return row


def summary_data(status: StatusLine, outcome: str, timeline: Timeline) -> dict[str, Any]:
    """The summary as data (``SUMMARY_MIME``): ``status`` (the line), ``outcome``
    (done | failed | stopped), ``count`` (entries), ``rows`` (the first ``DATA_ROWS``:
    kind, mark, text; detail, result, child, level when set) and ``more`` (the rest)."""
    rows = timeline.entries[:DATA_ROWS]
    return {
        "version": 1,
        "status": status.text(),
        "outcome": outcome,
        "count": len(timeline.entries),
        "rows": [_row_data(entry) for entry in rows],
        "more": len(timeline.entries) - len(rows),
    }


def summary_text(status: StatusLine, timeline: Timeline) -> str:
    """The summary as text: the line, the count, the newest ``TIMELINE_LIMIT`` entries."""
    lines = [f"amplifier: {status.text()}", count_text(timeline)]
    lines += ["  " + e.as_text() for e in timeline.entries[-TIMELINE_LIMIT:]]
    return "\n".join(lines)


def summary_bundle(status: StatusLine, outcome: str, timeline: Timeline) -> dict[str, Any]:
    """What a finished run leaves in place of the live panel (the module docstring)."""
    return {
        SUMMARY_MIME: summary_data(status, outcome, timeline),
        "text/html": summary_html(status, timeline),
        "text/plain": summary_text(status, timeline),
    }
