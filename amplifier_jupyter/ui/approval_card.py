"""The widget for one approval question: what wants to run, a button per option, a countdown.

Every change after creation goes through widget state, set from the loop's
thread (docs/design.md, fact 13); clicks are handed to ``ApprovalRequest.choose``,
which is thread-safe.
"""

from __future__ import annotations

import asyncio
import html
import math
from typing import Any

import ipywidgets as widgets

from amplifier_jupyter.modules._tool_input import tool_input_text
from amplifier_jupyter.ui.approval_request import ApprovalRequest
from amplifier_jupyter.ui.plain import PlainVBox
from amplifier_jupyter.ui.style import MUTED, box_layout, span

# A question shows at most this much of a tool's input (the rest scrolls or is cut).
INPUT_LIMIT = 4000


def _input_text(tool_input: Any) -> str:
    text = tool_input_text(tool_input, indent=2)
    return text if len(text) <= INPUT_LIMIT else text[:INPUT_LIMIT] + "\n…"


def question_html(request: ApprovalRequest) -> str:
    """Which tool wants to do what (or a hook's own question)."""
    if request.tool_name is None:
        return f'<div style="white-space: pre-wrap">{html.escape(request.prompt)}</div>'
    who = f"{html.escape(request.child)} › " if request.child else ""
    return (
        f"<div>{who}<b>{html.escape(request.tool_name)}</b> "
        f"{span('wants to run:', MUTED)}</div>"
        '<pre style="margin: 4px 0; padding: 4px 6px; max-height: 16em; overflow: auto; '
        "background: var(--jp-layout-color2); color: var(--jp-content-font-color1); "
        'font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size)">'
        f"{html.escape(_input_text(request.tool_input))}</pre>"
    )


def countdown_text(request: ApprovalRequest) -> str:
    """``Deny in 118 s if no answer`` (``Waits for your answer`` without a timeout)."""
    if request.timeout is None:
        return span("Waits for your answer", MUTED)
    seconds = math.ceil(request.remaining())
    return span(f"{request.default.capitalize()} in {seconds} s if no answer", MUTED)


class ApprovalCard:
    """The widgets of one :class:`ApprovalRequest` (``.widget`` is the box to show)."""

    def __init__(self, request: ApprovalRequest, standalone: bool = False) -> None:
        self.request = request
        self.standalone = standalone
        self.question = widgets.HTML(question_html(request))
        self.question.add_class("amplifier-approve-question")
        self.buttons = []
        for i, option in enumerate(request.options):
            button = widgets.Button(
                description=option,
                tooltip=option,
                button_style="primary" if i == 0 else "",
                layout=widgets.Layout(width="auto"),
            )
            button.add_class("amplifier-approve-option")
            button.on_click(lambda _button, option=option: request.choose(option))
            self.buttons.append(button)
        self.countdown = widgets.HTML(countdown_text(request))
        self.countdown.add_class("amplifier-approve-countdown")
        row = widgets.HBox([*self.buttons, self.countdown])
        row.layout.align_items = "center"
        self.widget = PlainVBox(
            [self.question, row],
            layout=box_layout(accent="var(--jp-warn-color1)"),
        )
        self.widget.plain_text = plain_question(request)
        self.widget.add_class("amplifier-approve")
        self._timer: asyncio.TimerHandle | None = None
        self._schedule_tick()
        request.on_close(self._closed)

    def _schedule_tick(self) -> None:
        remaining = self.request.remaining()
        if remaining <= 0 or remaining == math.inf or self.request.outcome is not None:
            return
        # Tick on whole seconds of the countdown.
        delay = remaining - math.floor(remaining - 1e-6) if remaining > 1 else remaining
        self._timer = self.request.loop.call_later(max(delay, 0.05), self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.request.outcome is not None:
            return
        self.countdown.value = countdown_text(self.request)
        self._schedule_tick()

    def _closed(self, request: ApprovalRequest) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for button in self.buttons:
            button.disabled = True
        if self.standalone:
            # No timeline to carry the decision: the card becomes its one-line summary.
            self.widget.children = [summary_widget(request)]


def plain_question(request: ApprovalRequest) -> str:
    """The question in one line of text, as it was asked (for readers without widgets)."""
    return f"amplifier question: {request.prompt} [{' / '.join(request.options)}]"


def outcome_level(request: ApprovalRequest) -> str:
    """``success`` for an allow, ``warning`` otherwise."""
    return "success" if request.allowed else "warning"


def summary_html(request: ApprovalRequest) -> str:
    """One line: the question in short and how it ended."""
    from amplifier_jupyter.ui.timeline import shorten

    what = request.tool_name or shorten(request.prompt, 80)
    mark = "✓" if outcome_level(request) == "success" else "✗"
    return span(f"{mark} {what}: {request.describe_outcome()}", MUTED)


def summary_widget(request: ApprovalRequest) -> Any:
    """The one-line summary as a widget."""
    return widgets.HTML(summary_html(request))


def show_standalone(request: ApprovalRequest) -> ApprovalCard:
    """Show a card in the running cell (no panel is attached: a plain session)."""
    from IPython.display import display

    card = ApprovalCard(request, standalone=True)
    display(card.widget)
    return card
