"""A cell's edit as lines marked added, removed or kept: data for the approval card
(``ui/assets/panel.js`` draws it, as text) and a unified diff for the model.

Pure logic on two strings; long runs of unchanged lines fold into one marker line.
"""

from __future__ import annotations

import difflib

# Marks: "+" added, "-" removed, " " kept, "…" unchanged lines folded.
Line = tuple[str, str]
# Unchanged lines kept on each side of a change; a longer run folds.
CONTEXT = 3
# At most this many lines reach the card (a longer diff ends with one "…" line).
MAX_LINES = 400


def _fold(kept: list[str], first: bool, last: bool) -> list[Line]:
    head = [] if first else kept[:CONTEXT]
    tail = [] if last else kept[-CONTEXT:]
    if len(kept) <= len(head) + len(tail) + 1:
        return [(" ", line) for line in kept]
    hidden = len(kept) - len(head) - len(tail)
    folded = f"{hidden} unchanged line{'s' if hidden != 1 else ''}"
    return [*((" ", line) for line in head), ("…", folded), *((" ", line) for line in tail)]


def diff_lines(before: str, after: str) -> list[Line]:
    """``after`` against ``before``, line by line: what the card shows."""
    old, new = before.splitlines(), after.splitlines()
    opcodes = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    lines: list[Line] = []
    for at, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            lines += _fold(old[i1:i2], at == 0, at == len(opcodes) - 1)
            continue
        lines += [("-", line) for line in old[i1:i2]]
        lines += [("+", line) for line in new[j1:j2]]
    if len(lines) > MAX_LINES:
        rest = len(lines) - MAX_LINES + 1
        lines = [*lines[: MAX_LINES - 1], ("…", f"{rest} more lines")]
    return lines


def added_lines(source: str) -> list[Line]:
    """A new cell's source: every line added."""
    return diff_lines("", source)


def counts(lines: list[Line]) -> tuple[int, int]:
    """(added, removed) lines."""
    return sum(m == "+" for m, _ in lines), sum(m == "-" for m, _ in lines)


def unified(before: str, after: str, name: str) -> str:
    """A unified diff for the model (``--- name`` / ``+++ name``)."""
    text = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"{name} (now)", f"{name} (your edit)", lineterm=""
    )
    return "\n".join(text) or "(no difference)"
