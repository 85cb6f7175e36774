"""The live panel's HTML pieces: timeline lines, the folded timeline, the status line.

Everything here is escaped HTML with inline styles in JupyterLab's theme
variables; the live panel sets it as the innerHTML of its parts. What a
finished run leaves instead is in ``ui/summary.py``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from amplifier_jupyter.ui.style import CODE_FONT, FAINT, LEVEL_COLOURS, MUTED, UI_FONT, span
from amplifier_jupyter.ui.timeline import Entry, Timeline

# The newest entries shown; older ones are counted, not drawn.
TIMELINE_LIMIT = 200


def entry_html(entry: Entry, key: int | None = None) -> str:
    """One timeline line; ``key`` (the live panel's): the entry's images get a place after
    it, where the browser draws their thumbnails (:func:`thumbnails`, sent once)."""
    colour = LEVEL_COLOURS.get(entry.level, MUTED)
    who = (
        f'<span style="color: {FAINT}">{html.escape(entry.child)} › </span>' if entry.child else ""
    )
    detail = (
        f' <span style="color: {FAINT}; {CODE_FONT}">{html.escape(entry.detail)}</span>'
        if entry.detail
        else ""
    )
    if entry.result:
        detail += f" → {html.escape(entry.result)}"
    return (
        f'<div class="amplifier-entry amplifier-entry-{entry.kind}" '
        f'style="color: {colour}; white-space: nowrap; overflow: hidden; text-overflow: ellipsis">'
        f'<span style="display: inline-block; width: 1.4em; text-align: center">'
        f"{html.escape(entry.mark)}</span>{who}{html.escape(entry.text)}{detail}</div>"
        + (
            f'<div class="amplifier-thumbs" data-key="{key}"></div>'
            if key is not None and entry.images
            else ""
        )
    )


def thumbnails(timeline: Timeline) -> dict[str, list[dict[str, Any]]]:
    """The live panel's thumbnails, by the key of their entry's place (:func:`entry_html`):
    ``src`` (a data URI of a PNG of at most 64 px), ``label``, ``width``, ``height``.
    A trait of their own, so the timeline's HTML, re-sent as it grows, does not carry them."""
    return {
        str(i): [
            {
                "src": image.get("thumbnail") or "",
                "label": str(image.get("label") or ""),
                "width": image.get("width"),
                "height": image.get("height"),
            }
            for image in entry.images
        ]
        for i, entry in enumerate(timeline.entries)
        if entry.images
    }


def count_text(timeline: Timeline) -> str:
    """``Timeline · 4 events``."""
    count = len(timeline.entries)
    return f"Timeline · {count} event{'s' if count != 1 else ''}"


def timeline_html(timeline: Timeline, open_: bool) -> str:
    """The live timeline as a ``<details>`` block (open while running, collapsed after),
    with places for thumbnails, drawn by the browser."""
    entries = timeline.entries[-TIMELINE_LIMIT:]
    hidden = len(timeline.entries) - len(entries)
    rows = "".join(entry_html(e, hidden + i) for i, e in enumerate(entries))
    if hidden:
        rows = f'<div style="color: {FAINT}">… {hidden} earlier</div>' + rows
    return (
        f"<details{' open' if open_ else ''}><summary>"
        f'<span style="cursor: pointer; {UI_FONT}; color: {MUTED}">{count_text(timeline)}</span>'
        f'</summary><div style="padding: 2px 0 2px 2px; {UI_FONT}; color: {MUTED}">{rows}</div>'
        "</details>"
    )


@dataclass
class StatusLine:
    """The status line in parts of (text, colour)."""

    parts: list[tuple[str, str]]

    def html(self) -> str:
        """The line as coloured spans."""
        return "".join(span(text, colour) for text, colour in self.parts)

    def text(self) -> str:
        """The line as text."""
        return "".join(text for text, _ in self.parts)
