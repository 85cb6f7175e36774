"""The panel's HTML pieces: timeline lines, the status line, and the summary a run leaves.

Everything here is escaped HTML with inline styles in JupyterLab's theme
variables, so it reads the same in the live panel (which sets it as the
innerHTML of its parts) and as a plain ``text/html`` output wherever the
saved notebook is opened (JupyterLab, nbconvert, nbviewer); the ``text/plain``
forms are for readers without HTML.
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


def _summary(timeline: Timeline) -> str:
    count = len(timeline.entries)
    return f"Timeline · {count} event{'s' if count != 1 else ''}"


def timeline_html(timeline: Timeline, open_: bool, live: bool = False) -> str:
    """The timeline as a ``<details>`` block (open while running, collapsed after);
    ``live``: with places for thumbnails (the static summary has none: the "sent:" line
    names the images, and nbconvert's sanitizer would escape an ``<img>``)."""
    entries = timeline.entries[-TIMELINE_LIMIT:]
    hidden = len(timeline.entries) - len(entries)
    rows = "".join(entry_html(e, hidden + i if live else None) for i, e in enumerate(entries))
    if hidden:
        rows = f'<div style="color: {FAINT}">… {hidden} earlier</div>' + rows
    # <details> and <summary> carry no attributes: a sanitizer that does not know them
    # (nbconvert's) escapes them to short, readable tags; the styles are on the inside.
    return (
        f"<details{' open' if open_ else ''}><summary>"
        f'<span style="cursor: pointer; {UI_FONT}; color: {MUTED}">{_summary(timeline)}</span>'
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


def summary_bundle(status: StatusLine, timeline: Timeline) -> dict[str, Any]:
    """What a finished run leaves in place of the live panel: its status line and the
    folded timeline, as HTML (with a text form), never a widget."""
    body = (
        '<div class="amplifier-panel amplifier-summary" '
        f'style="border-left: 2px solid var(--jp-border-color2); padding: 2px 0 2px 10px; '
        f'margin: 4px 0; {UI_FONT}">'
        f'<div class="amplifier-status">{status.html()}</div>'
        f'<div class="amplifier-timeline">{timeline_html(timeline, False)}</div></div>'
    )
    lines = [f"amplifier: {status.text()}", _summary(timeline)]
    lines += ["  " + e.as_text() for e in timeline.entries[-TIMELINE_LIMIT:]]
    return {"text/html": body, "text/plain": "\n".join(lines)}
