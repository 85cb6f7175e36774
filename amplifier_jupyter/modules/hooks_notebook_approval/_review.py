"""A tool's review of one call: what the approval card shows of it, and what its buttons mean.

A tool may have ``async def review(input) -> dict``; the hook calls it before it
asks (``ApprovalHook.on_tool_pre``), only when the policy asks. Its keys:

* ``changes``: False when the call would change nothing (no bridge, no such
  cell): nobody is asked and the tool's result says why; the tool gets this
  review back and must then change nothing. As ``read_only`` is the tool's word
  for all its calls, this is its word for one call.
* ``title``: one line, what would change (``edit code cell [3] (id …)``).
* ``lines``: ``[mark, text]`` pairs, ``mark`` one of ``+`` (added), ``-``
  (removed), `` `` (kept), ``…`` (folded): the card draws them as text.
* ``options``: the buttons, ``{"label", "decision"}`` each, ``decision`` one of
  amplifier-core's words (``allow once``, ``allow always``, ``deny``:
  docs/design.md, fact 8). The card shows the labels; the hook decides by the
  word and keeps the label for the tool (``approval.choice``), which is how
  ``Accept and run`` reaches it.
* ``rejected``: the reason the model reads when the user says no.
* ``note``: a line the card shows above the change (set by :func:`stale`).

Anything else in it stays for the tool, which gets the review back with the
choice. A review that breaks these rules is not used (the card shows the input).

An allow is checked against a fresh review: when the lines differ (the user
edited the cell while the card was open), the click is not taken and the card
asks again with the new lines (:func:`stale`), at most :data:`STALE_ASKS` times.
"""

from __future__ import annotations

from typing import Any

DECISIONS = ("allow once", "allow always", "deny")
ALLOW_WORDS = ("allow", "allow once", "allow always")
# How many times a card asks again because what it showed changed meanwhile.
STALE_ASKS = 5
STALE_NOTE = "The cell changed since this was proposed; this is the change against it now."
MARKS = ("+", "-", " ", "…")


def checked(review: Any) -> dict[str, Any] | None:
    """``review`` when it keeps the rules above, else None."""
    if not isinstance(review, dict):
        return None
    if review.get("changes") is False:
        return review
    options = review.get("options")
    if not isinstance(review.get("title"), str) or not isinstance(options, list) or not options:
        return None
    for option in options:
        if not isinstance(option, dict) or not isinstance(option.get("label"), str):
            return None
        if str(option.get("decision", "")).lower() not in DECISIONS:
            return None
    lines = review.get("lines") or []
    if not isinstance(lines, list):
        return None
    for line in lines:
        if not isinstance(line, list | tuple) or len(line) != 2 or line[0] not in MARKS:
            return None
    return review


def labels(review: dict[str, Any]) -> list[str]:
    """The buttons' labels, in order."""
    return [option["label"] for option in review["options"]]


def decision(review: dict[str, Any] | None, choice: str) -> str:
    """The decision word a chosen label stands for (a word chosen as it is: a timeout's or
    a headless run's default, or an approval system that shows its own options)."""
    for option in (review or {}).get("options") or []:
        if option["label"] == choice:
            return str(option["decision"]).lower()
    return choice.strip().lower()


def as_text(review: dict[str, Any]) -> str:
    """The review as a question in text (the text view, a foreign approval system)."""
    body = "\n".join(f"{mark} {text}" for mark, text in review.get("lines") or [])
    note = f"{review['note']}\n" if review.get("note") else ""
    return f"{note}{review['title']}\n{body}".rstrip()


def stale(shown: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any] | None:
    """The review to ask again when ``fresh`` differs from what the card ``shown``; else None."""
    lines = [list(line) for line in fresh.get("lines") or []]
    if lines == [list(line) for line in shown.get("lines") or []]:
        return None
    return {**fresh, "note": STALE_NOTE}
