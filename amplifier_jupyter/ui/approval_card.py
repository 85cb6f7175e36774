"""One approval question as the panel's widget shows it: what wants to run, a button per
option, a countdown.

The card is part of the panel's widget state (``PanelWidget.approvals``: see
:func:`card_state`; what a reviewed call would change, in ``PanelWidget.reviews``),
drawn and clicked in the browser; clicks come back as ``choose`` messages, handed to
``ApprovalRequest.choose``, which is thread-safe. Without a panel (a plain session) a
card stands alone in the running cell (:func:`show_standalone`), a panel widget with no
header or timeline, which leaves its one-line outcome as HTML when the question closes.
"""

from __future__ import annotations

import asyncio
import html
import math
from collections.abc import Callable
from typing import Any

from amplifier_jupyter.modules._tool_input import tool_input_text
from amplifier_jupyter.ui.approval_request import ApprovalRequest
from amplifier_jupyter.ui.style import MUTED, span

# A question shows at most this much of a tool's input (the rest scrolls or is cut).
INPUT_LIMIT = 4000


def _input_text(tool_input: Any) -> str:
    text = tool_input_text(tool_input, indent=2)
    return text if len(text) <= INPUT_LIMIT else text[:INPUT_LIMIT] + "\n…"


def question_html(request: ApprovalRequest) -> str:
    """Which tool wants to do what (or a hook's own question). A reviewed call says what
    would change in one line; its lines are data (:func:`review_state`), not HTML."""
    if request.tool_name is None:
        return f'<div style="white-space: pre-wrap">{html.escape(request.prompt)}</div>'
    who = f"{html.escape(request.child)} › " if request.child else ""
    if request.review is not None:
        title = html.escape(str(request.review.get("title") or ""))
        tool = html.escape(request.tool_name)
        note = request.review.get("note")
        changed = f'<div class="amplifier-review-note">{html.escape(note)}</div>' if note else ""
        return f"{changed}<div>{who}<b>{tool}</b> {span('wants to', MUTED)} {title}</div>"
    return (
        f"<div>{who}<b>{html.escape(request.tool_name)}</b> "
        f"{span('wants to run:', MUTED)}</div>"
        '<pre style="margin: 4px 0; padding: 4px 6px; max-height: 16em; overflow: auto; '
        "background: var(--jp-layout-color1); color: var(--jp-content-font-color1); "
        'font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size)">'
        f"{html.escape(_input_text(request.tool_input))}</pre>"
    )


def countdown_text(request: ApprovalRequest) -> str:
    """``Deny in 118 s if no answer`` (``Waits for your answer`` without a timeout)."""
    if request.timeout is None:
        return span("Waits for your answer", MUTED)
    seconds = math.ceil(request.remaining())
    return span(f"{request.default.capitalize()} in {seconds} s if no answer", MUTED)


def review_state(request: ApprovalRequest) -> dict[str, Any] | None:
    """A reviewed call's lines for the card: ``{"lines": [[mark, text], ...]}``, where mark
    is ``+``, ``-``, `` `` or ``…``; ``assets/panel.js`` draws each as text, never as HTML."""
    if request.review is None:
        return None
    lines = [[str(mark), str(text)] for mark, text in request.review.get("lines") or []]
    return {"lines": lines}


def card_state(card_id: int, request: ApprovalRequest) -> dict[str, Any]:
    """The card as the widget's state holds it (``assets/panel.js`` draws it). Its review,
    if any, is in :func:`reviews_state`: the card is sent again each second (its
    countdown), the review only when it changes (a 300-line edit is about 23 KB)."""
    return {
        "id": card_id,
        "question_html": question_html(request),
        "options": list(request.options),
        "countdown_html": countdown_text(request),
    }


def reviews_state(cards: dict[int, ApprovalRequest]) -> dict[str, Any]:
    """The open cards' reviews by card id (the widget's ``reviews``)."""
    found = {str(card_id): review_state(request) for card_id, request in cards.items()}
    return {card_id: review for card_id, review in found.items() if review is not None}


class Countdown:
    """Calls ``tick()`` on each whole second of a question's countdown until it closes."""

    def __init__(self, request: ApprovalRequest, tick: Callable[[], None]) -> None:
        self.request = request
        self._tick_cb = tick
        self._timer: asyncio.TimerHandle | None = None
        self._schedule()

    def _schedule(self) -> None:
        remaining = self.request.remaining()
        if remaining <= 0 or remaining == math.inf or self.request.outcome is not None:
            return
        delay = remaining - math.floor(remaining - 1e-6) if remaining > 1 else remaining
        self._timer = self.request.loop.call_later(max(delay, 0.05), self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.request.outcome is not None:
            return
        self._tick_cb()
        self._schedule()

    def cancel(self) -> None:
        """No more ticks."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def plain_question(request: ApprovalRequest) -> str:
    """The question in one line of text, as it was asked (for readers without widgets)."""
    return f"amplifier question: {request.prompt} [{' / '.join(request.options)}]"


def outcome_level(request: ApprovalRequest) -> str:
    """``success`` for an allow, ``warning`` otherwise."""
    return "success" if request.allowed else "warning"


def summary_text(request: ApprovalRequest) -> str:
    """One line: the question in short and how it ended."""
    from amplifier_jupyter.ui.timeline import shorten

    what = request.tool_name or shorten(request.prompt, 80)
    mark = "✓" if outcome_level(request) == "success" else "✗"
    return f"{mark} {what}: {request.describe_outcome()}"


def summary_html(request: ApprovalRequest) -> str:
    """The one-line outcome as HTML."""
    return f'<div class="amplifier-approve-outcome">{span(summary_text(request), MUTED)}</div>'


class StandaloneCard:
    """A question shown on its own in the running cell (no panel is attached)."""

    def __init__(self, request: ApprovalRequest) -> None:
        from IPython.display import display

        from amplifier_jupyter.ui.panel_widget import PanelWidget

        self.request = request
        self.widget = PanelWidget(
            self._received,
            mode="card",
            running=False,
            approvals=[card_state(1, request)],
            reviews=reviews_state({1: request}),
        )
        self.widget.plain_text = plain_question(request)
        self._handle = display(self.widget, display_id=True)
        self._countdown = Countdown(request, self._tick)
        request.on_close(self._closed)

    def _received(self, message: dict[str, Any]) -> None:
        option = message.get("option")
        if message.get("type") == "choose" and isinstance(option, str):
            self.request.choose(option)  # thread-safe

    def _tick(self) -> None:
        if self.widget.comm:
            self.widget.approvals = [card_state(1, self.request)]

    def _closed(self, request: ApprovalRequest) -> None:
        # No timeline to carry the decision: the card becomes its one-line outcome.
        self._countdown.cancel()
        line = summary_text(request)
        self._handle.update({"text/html": summary_html(request), "text/plain": line}, raw=True)
        self.widget.close()


def show_standalone(request: ApprovalRequest) -> StandaloneCard:
    """Show a card in the running cell (no panel is attached: a plain session)."""
    return StandaloneCard(request)
