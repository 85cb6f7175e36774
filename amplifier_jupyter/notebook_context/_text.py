"""Bounding text: every piece of notebook context has a size limit."""

from __future__ import annotations

import re

# One summary, one cell, one traceback: about a page each.
SUMMARY_LIMIT = 4_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def cut(text: str, limit: int) -> str:
    """``text`` if it fits, else its head and a marker saying how much was left out."""
    if len(text) <= limit:
        return text
    marker = f"\n… [{len(text) - limit:,} more characters not sent]"
    keep = max(0, limit - len(marker))
    return text[:keep] + marker


def cut_middle(text: str, limit: int) -> str:
    """Keep the head and the tail (a traceback's last lines say the most)."""
    if len(text) <= limit:
        return text
    marker = f"\n… [{len(text) - limit:,} characters left out] …\n"
    room = max(0, limit - len(marker))
    head = room // 3
    return text[:head] + marker + text[len(text) - (room - head) :]


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)
