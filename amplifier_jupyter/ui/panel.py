"""The panel: what a ``%%amplifier`` cell shows while the agent works, as ipywidgets.

Layout (CSS classes, stable for tests and styling)::

    .amplifier-panel
      .amplifier-header      .amplifier-status (state · elapsed · totals)   .amplifier-stop
      .amplifier-answer      the answer streaming in, as Markdown
      .amplifier-approvals   one .amplifier-approve card per open question
      .amplifier-timeline    prompt, model calls, tools, approvals, messages, errors

Every update is widget state set from the loop's thread (a run may be a
background task: docs/design.md, fact 13), and the two fast-changing parts, the
answer and the timeline, go through a :class:`Coalescer`, so a fast stream
sends at most about 20 updates a second and the last one is complete.

At the end the streamed text gives way to the final answer, which the cell
runner shows as a plain Markdown output (a background run has no cell left
to show it in, so the panel shows it); the timeline stays, collapsed.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable
from typing import Any

import ipywidgets as widgets

from amplifier_jupyter._ipython.blocking import (
    add_blocking_listener,
    interrupt_blocking_code,
    remove_blocking_listener,
    route_to_frontend_subshell,
    stop_reaches_blocking_code,
)
from amplifier_jupyter.events.streamed_text import StreamedText
from amplifier_jupyter.ui.approval_request import ApprovalRequest
from amplifier_jupyter.ui.coalesce import Coalescer
from amplifier_jupyter.ui.dollars import escape_currency
from amplifier_jupyter.ui.style import (
    CODE_FONT,
    FAINT,
    LEVEL_COLOURS,
    MUTED,
    TEXT,
    UI_FONT,
    box_layout,
    span,
)
from amplifier_jupyter.ui.timeline import Entry, Timeline
from amplifier_jupyter.ui.view import complain, say, shown

# The newest entries shown; older ones are counted, not drawn.
TIMELINE_LIMIT = 200
PLAIN_TEXT = "amplifier panel (a live widget: open the notebook in JupyterLab to see it)"
STOP_NOW = "Stop now"
# While user code blocks the kernel and a click cannot reach it (_ipython/blocking.py).
BLOCKING_HINT = "the code blocks the kernel: interrupt the kernel (■) to stop it"


def _elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def entry_html(entry: Entry) -> str:
    """One timeline line."""
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
    )


def timeline_html(timeline: Timeline, open_: bool) -> str:
    """The timeline as a ``<details>`` block (open while running, collapsed after)."""
    entries = timeline.entries[-TIMELINE_LIMIT:]
    hidden = len(timeline.entries) - len(entries)
    rows = "".join(entry_html(e) for e in entries)
    if hidden:
        rows = f'<div style="color: {FAINT}">… {hidden} earlier</div>' + rows
    count = len(timeline.entries)
    summary = f"Timeline · {count} event{'s' if count != 1 else ''}"
    return (
        f'<details{" open" if open_ else ""} style="{UI_FONT}; color: {MUTED}">'
        f'<summary style="cursor: pointer; color: {MUTED}">{summary}</summary>'
        f'<div style="padding: 2px 0 2px 2px">{rows}</div></details>'
    )


class PanelView:
    """A :class:`~amplifier_jupyter.ui.view.RunView` drawn with ipywidgets.

    ``on_stop`` is awaited when the Stop button is clicked (the kernel
    session's ``stop``). ``background``: the run outlives its cell, so the
    panel also shows notices, errors and the final answer itself. ``focus``:
    the child session the cell runs in (its events are the run's own).
    """

    def __init__(
        self,
        on_stop: Callable[[], Awaitable[Any]] | None = None,
        *,
        background: bool = False,
        focus: str | None = None,
    ) -> None:
        self.timeline = Timeline(focus)
        self.background = background
        self.answer_shown = False
        self.running = False
        self.state = "Starting"
        self._on_stop = on_stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0.0
        self._ended: float | None = None
        self._ticker: asyncio.TimerHandle | None = None
        self._stream: list[str] = []
        self._text = StreamedText()
        self._stream_updates = Coalescer(self._push_stream)
        self._timeline_updates = Coalescer(self._push_timeline)
        self._timeline_open = True
        self.failed: str | None = None

        self.status = widgets.HTML("")
        self.status.add_class("amplifier-status")
        self.stop_button = widgets.Button(
            description="Stop", tooltip="Stop the agent", layout=widgets.Layout(width="auto")
        )
        self.stop_button.add_class("amplifier-stop")
        self.stop_button.on_click(self._stop_clicked)
        # Its clicks may then arrive while user code blocks the main thread.
        route_to_frontend_subshell(self.stop_button)
        self.hint = ""
        header = widgets.HBox([self.status, self.stop_button])
        header.layout.align_items = "center"
        header.layout.justify_content = "space-between"
        header.add_class("amplifier-header")
        self.answer = widgets.Output(layout=widgets.Layout(display="none"))
        self.answer.add_class("amplifier-answer")
        self.approvals = widgets.VBox([], layout=widgets.Layout(display="none"))
        self.approvals.add_class("amplifier-approvals")
        self.timeline_view = widgets.HTML(timeline_html(self.timeline, True))
        self.timeline_view.add_class("amplifier-timeline")
        self.widget = PanelBox(
            [header, self.answer, self.approvals, self.timeline_view], layout=box_layout()
        )
        self.widget.add_class("amplifier-panel")

    # -- RunView ---------------------------------------------------------

    def start(self, prompt: str) -> None:
        """Show the panel and start the clock."""
        from IPython.display import display

        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self.running = True
        self.state = "Working"
        self._push_status()
        display(self.widget)
        add_blocking_listener(self._on_blocking)
        self._tick()

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        """Stream text deltas into the answer; everything else into the timeline."""
        own = data.get("child") == self.timeline.focus
        if own:
            text = self._text.take(event, data)
            if text:
                self._stream.append(text)
                self._stream_updates.changed()
            if event == "content_block:delta":
                return
            if event == "content_block:end":
                self._stream_updates.flush()  # a finished block shows every character
        changed = self.timeline.on_event(event, data)
        calls_tools = event == "provider:response" and data.get("tool_calls")
        if own and (calls_tools or event == "provider:request") and "".join(self._stream).strip():
            # The model spoke before calling tools: that text moves into the timeline.
            self.timeline.add("said", " ".join("".join(self._stream).split())[:300])
            self._stream.clear()
            self._stream_updates.changed()
            changed = True
        if changed:
            self._timeline_updates.changed()
            if event == "tool:pre":
                # A tool may block the loop (user code runs synchronously): show it now.
                self._timeline_updates.flush()
            self._push_status()

    def notice(self, message: str) -> None:
        """A one-line note: printed in the cell, or kept in the panel for a background run."""
        if self.background and self.running:
            self.timeline.add("note", shown(message), level="warning")
            self._timeline_updates.changed()
        else:
            say(message)

    def context_sent(self, summary: str) -> None:
        """What notebook context went with the prompt: a timeline line (and a printed one)."""
        self.timeline.add("note", f"sent: {summary}")
        self._timeline_updates.changed()
        if not self.background:
            say(f"sent: {summary}")

    def finish(self, answer: str) -> None:
        """The run ended: the streamed text gives way to the answer; the timeline folds."""
        self._end()
        if self.stopped:
            self.state = "Stopped"
            self.answer_shown = True  # the partial text stays; there is no answer to show
            self._stream_updates.flush()
            if not self.background:
                say("stopped")  # also readable where the widget is not (a saved notebook)
        else:
            self.state = "Done"
            self._stream_updates.cancel()
            if self.background:
                self._show_answer(answer or "*(no answer)*")
                self.answer_shown = True
            else:
                self._show_answer("")
        self._fold()

    def fail(self, message: str) -> None:
        """The run ended with a one-line error."""
        was_running = self.running
        message = shown(message)  # an error may quote a module's config
        self._end()
        self.failed = message
        self.state = "Failed"
        self._stream_updates.flush()
        if was_running:
            self.timeline.add("error", message, level="error")
            self._fold()
        if not self.background:
            complain(message)

    # -- approvals and messages ------------------------------------------

    def show_approval(self, request: ApprovalRequest) -> None:
        """Show a question in the panel; its decision goes into the timeline."""
        from amplifier_jupyter.ui.approval_card import ApprovalCard

        card = ApprovalCard(request)
        self._set_approvals((*self.approvals.children, card.widget))
        self.state = "Waiting for approval"
        self._push_status()
        request.on_close(lambda request: self._approval_closed(request, card))

    def _set_approvals(self, cards: tuple[Any, ...]) -> None:
        self.approvals.children = cards
        self.approvals.layout.display = None if cards else "none"  # no room when empty

    def _approval_closed(self, request: ApprovalRequest, card: Any) -> None:
        self._set_approvals(tuple(c for c in self.approvals.children if c is not card.widget))
        if self.running:
            self.state = "Working"
            self._push_status()
        if request.from_loop and request.outcome != "stopped":
            return  # the loop reports its decision with approval:granted / approval:denied
        from amplifier_jupyter.ui.approval_card import outcome_level
        from amplifier_jupyter.ui.timeline import shorten

        what = request.tool_name or shorten(request.prompt, 80)
        kind = "allowed" if outcome_level(request) == "success" else "denied"
        self.timeline.decided(
            request.prompt,
            kind,
            f"{what}: {request.describe_outcome()}",
            outcome_level(request),
            request.child,
        )
        self._timeline_updates.changed()

    def show_message(self, message: str, level: str = "info", source: str = "hook") -> None:
        """A hook's message (``display_system.show_message``) joins the timeline."""
        self.timeline.message(message, level, source)
        self._timeline_updates.changed()

    # -- state -----------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """Whether the run ended because the user stopped it."""
        return self.timeline.status == "cancelled"

    def _stop_clicked(self, _button: Any) -> None:
        # Widget messages may arrive on another thread (docs/design.md, fact 13). One that
        # comes while user code blocks the main thread interrupts that code first.
        interrupt_blocking_code()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.request_stop)

    def _on_blocking(self, blocking: bool) -> None:
        """User code holds the kernel: where a click cannot reach it, say what stops it."""
        hint = BLOCKING_HINT if blocking and not stop_reaches_blocking_code() else ""
        if hint != self.hint:
            self.hint = hint
            self._push_status()

    def request_stop(self) -> None:
        """Ask the agent to stop (the Stop button); on the loop's thread.

        The first click asks for a graceful stop; the button then reads
        "Stop now", and a second click makes the stop immediate
        (``session/stopping.py``).
        """
        if not self.running or self.stop_button.disabled:
            return
        if self.stop_button.description == STOP_NOW:
            self.stop_button.disabled = True
            self.stop_button.description = "Stopping…"
        else:
            self.stop_button.description = STOP_NOW
            self.timeline.add("stop", "stop requested", level="warning")
            self._timeline_updates.changed()
        if self._on_stop is not None:
            asyncio.ensure_future(self._on_stop())

    def _end(self) -> None:
        self.running = False
        remove_blocking_listener(self._on_blocking)
        self.hint = ""
        if self._loop is not None:
            self._ended = self._loop.time()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self.stop_button.layout.display = "none"

    def _fold(self) -> None:
        self._timeline_open = False
        self._timeline_updates.flush()
        self._push_timeline()
        self._push_status()

    def _tick(self) -> None:
        self._ticker = None
        if not self.running or self._loop is None:
            return
        self._push_status()
        self._ticker = self._loop.call_later(1.0, self._tick)

    # -- pushing widget state --------------------------------------------

    def _push_stream(self) -> None:
        self._show_answer("".join(self._stream))

    def _show_answer(self, text: str) -> None:
        self.answer.outputs = (_markdown_output(text),) if text else ()
        # An empty output area still takes room: hide it until there is text.
        display = None if text else "none"
        if self.answer.layout.display != display:
            self.answer.layout.display = display

    def _push_timeline(self) -> None:
        self.timeline_view.value = timeline_html(self.timeline, self._timeline_open)

    def _push_status(self) -> None:
        if self._loop is None:
            return
        end = self._ended if self._ended is not None else self._loop.time()
        elapsed = _elapsed(end - self._started)
        totals = self.timeline.describe_totals()
        if self.running:
            head = span(f"● {self.state} · {elapsed}", TEXT)
            if self.hint:
                head += span(f" · {self.hint}", LEVEL_COLOURS["warning"])
        elif self.state == "Failed":
            head = span(f"Failed after {elapsed}: {self.failed}", LEVEL_COLOURS["error"])
        elif self.state == "Stopped":
            head = span(f"Stopped after {elapsed}", LEVEL_COLOURS["warning"])
        else:
            head = span(f"Done in {elapsed}", MUTED)
        tail = span(f" · {totals}", MUTED) if totals else ""
        self.status.value = head + tail


def _markdown_output(text: str) -> dict[str, Any]:
    markdown = escape_currency(text)  # "$5 and $10" is not LaTeX (ui/dollars.py)
    return {"output_type": "display_data", "data": {"text/markdown": markdown}, "metadata": {}}


class PanelBox(widgets.VBox):
    """The panel's outer box, with a short plain-text form for readers without widgets."""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            bundle["text/plain"] = PLAIN_TEXT
        return bundle
