"""The panel: what a ``%%amplifier`` cell shows while the agent works.

One widget per run (:class:`~amplifier_jupyter.ui.panel_widget.PanelWidget`,
drawn in the browser). Layout (CSS classes, stable for tests and styling)::

    .amplifier-panel
      .amplifier-header      .amplifier-status (state · elapsed · totals)   .amplifier-stop
      .amplifier-answer      the answer streaming in
      .amplifier-approvals   one .amplifier-approve card per open question
      .amplifier-timeline    prompt, model calls, tools, approvals, messages, errors

Every update is set from the loop's thread (a run may be a background task:
docs/design.md, fact 13), and the two fast-changing parts, the answer and the
timeline, go through a :class:`Coalescer`, so a fast stream sends at most about
20 updates a second and the last one is complete. The answer goes as appended
chunks (each character sent once); a retried model call (``provider:retry``:
its blocks start again from index 0) starts its text afresh.

A run that ends within ``OPEN_AFTER`` (0.25 s: an instant model, a replayed
answer) never opens a widget: it leaves its summary and its answer, and no comm
message is sent. A longer run opens the widget then, or at once when a question
needs an answer or a tool starts (a tool's code may hold the loop), and a
background run at its start (its cell is done at once).

A run nobody can watch (its client takes no input: nbclient, papermill, nbval; or
``AMPLIFIER_JUPYTER_HEADLESS=1``) opens no widget either: where the widget would
show, the summary so far is displayed and replaced at the end, so the saved
notebook holds no widget state (papermill saves it: docs/design.md, fact 40).

At the end the panel leaves no widget behind: its output is replaced by the
run's summary (``ui/summary.py``: the status line and the timeline as static
HTML any sanitizer keeps, and as data the lab extension draws as a collapsed
``<details>``) and the widget is closed; the answer is a Markdown output of
its own (the cell runner's). A background run's panel, whose cell is long
done, stays a widget and shows the answer itself.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from amplifier_jupyter._ipython.blocking import (
    add_blocking_listener,
    interrupt_blocking_code,
    remove_blocking_listener,
    route_to_frontend_subshell,
    stop_reaches_blocking_code,
)
from amplifier_jupyter._ipython.quick_display import display_raw
from amplifier_jupyter.events.streamed_text import StreamedText
from amplifier_jupyter.ui.approval_headless import ViewPresence
from amplifier_jupyter.ui.approval_request import ApprovalRequest
from amplifier_jupyter.ui.coalesce import Coalescer
from amplifier_jupyter.ui.dollars import escape_currency
from amplifier_jupyter.ui.panel_html import StatusLine, thumbnails, timeline_html
from amplifier_jupyter.ui.style import LEVEL_COLOURS, MUTED, TEXT
from amplifier_jupyter.ui.summary import summary_bundle
from amplifier_jupyter.ui.timeline import Timeline
from amplifier_jupyter.ui.view import complain, say, shown

STOP_NOW = "Stop now"
# While user code blocks the kernel and a click cannot reach it (_ipython/blocking.py).
BLOCKING_HINT = "the code blocks the kernel: interrupt the kernel (■) to stop it"
NO_ANSWER = "*(no answer)*"
# A run shorter than this shows no live widget, only what it leaves (the module docstring).
OPEN_AFTER = 0.25


def _elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def _markdown(text: str) -> dict[str, Any]:
    # "$5 and $10" is not LaTeX where it is shown (ui/dollars.py); text/plain keeps it raw.
    return {"text/markdown": escape_currency(text), "text/plain": text}


class PanelView:
    """A :class:`~amplifier_jupyter.ui.view.RunView` drawn by one widget.

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
        from amplifier_jupyter.ui.panel_widget import PanelWidget

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
        # The answer so far, how much of it the browser has, and where the current model
        # call's text starts (a retry drops what came after).
        self._answer = ""
        self._sent = 0
        self._restart = False
        self._call_start = 0
        self._text = StreamedText()
        self._stream_updates = Coalescer(self._push_stream)
        self._timeline_updates = Coalescer(self._push_timeline)
        self._timeline_open = True
        self.failed: str | None = None
        self.hint = ""
        self._cards: dict[int, tuple[ApprovalRequest, Any]] = {}
        self._ids = itertools.count(1)
        self._handle: Any = None
        self._opening: asyncio.TimerHandle | None = None
        # Opened when the run has lasted OPEN_AFTER, or needs it sooner (_open).
        self.widget: PanelWidget | None = None
        # Whether a browser draws this panel (its view reports itself: approval_headless.py).
        self.presence = ViewPresence()

    # -- RunView ---------------------------------------------------------

    def start(self, prompt: str) -> None:
        """Start the clock; the widget shows once the run has lasted ``OPEN_AFTER``."""
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self.running = True
        self.state = "Working"
        add_blocking_listener(self._on_blocking)
        if self.background:
            self._open()
        else:
            self._opening = self._loop.call_later(OPEN_AFTER, self._open)

    def show_now(self) -> None:
        """Show the live widget now, not after ``OPEN_AFTER`` (user code may hold the loop)."""
        self._open()

    def _open(self) -> None:
        """Show the live widget, with everything so far (once; while the run goes on)."""
        from IPython.display import display

        from amplifier_jupyter.ui.panel_widget import PanelWidget

        if self._opening is not None:
            self._opening.cancel()
            self._opening = None
        if self.widget is not None or self._handle is not None or not self.running:
            return
        self.presence.start()
        if not self.background and self.presence.headless:
            # Nobody can see a live widget; it would only leave its state in the saved
            # notebook (papermill keeps it). Its place holds the summary so far instead.
            bundle = summary_bundle(self._status_line(), self.state.lower(), self.timeline)
            self._handle = display(bundle, raw=True, display_id=True)
            return
        self.widget = PanelWidget(
            self._received,
            timeline_html=self._timeline_html(),
            status_html=self._status_line().html(),
            images=thumbnails(self.timeline),
        )
        # Its clicks may then arrive while user code blocks the main thread.
        route_to_frontend_subshell(self.widget)
        self._push_approvals()
        self._handle = display(self.widget, display_id=True)
        self._sent = 0
        self._restart = False
        if self._answer:
            self._stream_updates.changed()
        self._tick()

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        """Stream text deltas into the answer; everything else into the timeline."""
        own = data.get("child") == self.timeline.focus
        if own:
            if event == "provider:request":
                self._call_start = len(self._answer)
            elif event == "provider:retry":
                # The call starts over (its blocks again from index 0): so does its text.
                self._text = StreamedText()
                if len(self._answer) > self._call_start:
                    self._answer = self._answer[: self._call_start]
                    self._restart = True
                    self._stream_updates.changed()
            text = self._text.take(event, data)
            if text:
                self._answer += text
                self._stream_updates.changed()
            if event == "content_block:delta":
                self.timeline.on_event(event, data)  # a sign of life: no entry changes
                return
            if event == "content_block:end":
                self._stream_updates.flush()  # a finished block shows every character
        changed = self.timeline.on_event(event, data)
        calls_tools = event == "provider:response" and data.get("tool_calls")
        if own and (calls_tools or event == "provider:request") and self._answer.strip():
            # The model spoke before calling tools: that text moves into the timeline.
            self.timeline.add("said", " ".join(self._answer.split())[:300])
            self._answer = ""
            self._call_start = 0
            self._restart = True
            self._stream_updates.changed()
            changed = True
        if changed:
            self._timeline_updates.changed()
            if event == "tool:pre":
                # A tool may block the loop (user code runs synchronously): show it now.
                self._open()
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

    def timeline_changed(self) -> None:
        """The timeline changed outside an event (the images sent, on the "sent:" line)."""
        self._timeline_updates.changed()

    def finish(self, answer: str) -> None:
        """The run ended: the panel gives way to its summary, the answer to a Markdown output."""
        self._end()
        self._stream_updates.cancel()
        if self.stopped:
            self.state = "Stopped"
            self.answer_shown = True  # the partial text stays; there is no answer to show
            self._leave(self._answer)
            if not self.background:
                say("stopped")  # also readable as text
        else:
            self.state = "Done"
            if self.background:
                self.answer_shown = True
                self._leave(answer or NO_ANSWER)
            else:
                self._leave("")

    def fail(self, message: str) -> None:
        """The run ended with a one-line error."""
        was_running = self.running
        message = shown(message)  # an error may quote a module's config
        self._end()
        self._stream_updates.cancel()
        self.failed = message
        self.state = "Failed"
        if was_running:
            self.timeline.add("error", message, level="error")
        if was_running or self._handle is not None:
            self._leave(self._answer)
        if not self.background:
            complain(message)

    # -- approvals and messages ------------------------------------------

    def show_approval(self, request: ApprovalRequest) -> None:
        """Show a question in the panel; its decision goes into the timeline."""
        from amplifier_jupyter.ui.approval_card import Countdown

        card_id = next(self._ids)
        self._cards[card_id] = (request, Countdown(request, self._push_approvals))
        self._open()  # a question is answered in the widget
        self._push_approvals()
        self.state = "Waiting for approval"
        self._push_status()
        request.on_close(lambda request: self._approval_closed(request, card_id))

    def _approval_closed(self, request: ApprovalRequest, card_id: int) -> None:
        found = self._cards.pop(card_id, None)
        if found is not None:
            found[1].cancel()
        self._push_approvals()
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

    async def nobody_answers(self) -> str | None:
        """Why nobody can answer a question in this panel (no view showed it), or None."""
        self._open()  # the question's widget is shown, and its view may report itself
        return await self.presence.nobody()

    def show_message(self, message: str, level: str = "info", source: str = "hook") -> None:
        """A hook's message (``display_system.show_message``) joins the timeline."""
        self.timeline.message(message, level, source)
        self._timeline_updates.changed()

    # -- messages from the browser (any thread) --------------------------

    def _received(self, message: dict[str, Any]) -> None:
        self.presence.report()  # any message ("rendered", a click) comes from a view
        kind = message.get("type")
        if kind == "stop":
            self._stop_clicked()
        elif kind == "choose":
            found = self._cards.get(message.get("id"))  # type: ignore[arg-type]
            option = message.get("option")
            if found is not None and isinstance(option, str):
                found[0].choose(option)  # thread-safe
        elif kind == "ready" and self._loop is not None:
            self._loop.call_soon_threadsafe(self._resend)

    def _resend(self) -> None:
        if self.widget is None or not self.widget.comm:
            return
        self._sent = len(self._answer)
        self._restart = False
        self.widget.replace(self._answer)

    # -- state -----------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """Whether the run ended because the user stopped it."""
        return self.timeline.status == "cancelled"

    def _stop_clicked(self) -> None:
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
        if not self.running or self.widget is None or self.widget.stop_disabled:
            return
        if self.widget.stop_label == STOP_NOW:
            self.widget.stop_disabled = True
            self.widget.stop_label = "Stopping…"
        else:
            self.widget.stop_label = STOP_NOW
            self.timeline.add("stop", "stop requested", level="warning")
            self._timeline_updates.changed()
        if self._on_stop is not None:
            asyncio.ensure_future(self._on_stop())

    def _end(self) -> None:
        self.running = False
        if self._opening is not None:
            self._opening.cancel()
            self._opening = None
        remove_blocking_listener(self._on_blocking)
        self.hint = ""
        if self._loop is not None:
            self._ended = self._loop.time()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        for _request, countdown in self._cards.values():
            countdown.cancel()

    def _leave(self, answer: str) -> None:
        """Replace the live panel by its summary (and ``answer`` as Markdown); close it.

        A background run ends after its cell: a frontend no longer takes outputs for
        that cell (nbclient drops them, JupyterLab's cell has let go of its request),
        so its panel cannot be replaced; it stays, showing the end and the answer.
        """
        self._timeline_updates.cancel()
        self._timeline_open = False
        if self.background:
            if self.widget is not None and self.widget.comm:
                self._answer = answer
                self._resend()
                self._push_timeline()
                self._push_status()
            return
        bundle = summary_bundle(self._status_line(), self.state.lower(), self.timeline)
        if self._handle is not None:
            self._handle.update(bundle, raw=True)
        else:  # a short run: no widget was shown, its summary is its first output
            display_raw(bundle)
        if answer:
            display_raw(_markdown(answer))
        self._handle = None
        if self.widget is not None:
            self.widget.close()

    def _tick(self) -> None:
        self._ticker = None
        if not self.running or self._loop is None:
            return
        self._push_status()
        self._ticker = self._loop.call_later(1.0, self._tick)

    # -- pushing widget state --------------------------------------------

    def _push_stream(self) -> None:
        if self.widget is None or not self.widget.comm:
            return
        if self._restart or self._sent > len(self._answer):
            self._restart = False
            self.widget.replace(self._answer)
        else:
            self.widget.append(self._sent, self._answer[self._sent :])
        self._sent = len(self._answer)

    def _timeline_html(self) -> str:
        return timeline_html(self.timeline, self._timeline_open)

    def _push_timeline(self) -> None:
        if self.widget is not None and self.widget.comm:
            self.widget.images = thumbnails(self.timeline)  # sent only when they change
            self.widget.timeline_html = self._timeline_html()

    def _push_approvals(self) -> None:
        from amplifier_jupyter.ui.approval_card import card_state, reviews_state

        if self.widget is not None and self.widget.comm:
            cards = {card_id: request for card_id, (request, _) in self._cards.items()}
            self.widget.reviews = reviews_state(cards)  # sent only when they change
            self.widget.approvals = [
                card_state(card_id, request) for card_id, request in cards.items()
            ]

    def _status_line(self) -> StatusLine:
        end = self._ended if self._ended is not None else self._started
        if self._loop is not None and self._ended is None:
            end = self._loop.time()
        elapsed = _elapsed(end - self._started)
        totals = self.timeline.describe_totals()
        if self.running:
            parts = [(f"● {self.state} · {elapsed}", TEXT)]
            waiting = self.timeline.waiting() if self.state == "Working" else None
            if waiting:  # e.g. "waiting for the model · 20 s · retry 1 of 3 after 529"
                parts.append((f" · {waiting}", MUTED))
            if self.hint:
                parts.append((f" · {self.hint}", LEVEL_COLOURS["warning"]))
        elif self.state == "Failed":
            parts = [(f"Failed after {elapsed}: {self.failed}", LEVEL_COLOURS["error"])]
        elif self.state == "Stopped":
            parts = [(f"Stopped after {elapsed}", LEVEL_COLOURS["warning"])]
        else:
            parts = [(f"Done in {elapsed}", MUTED)]
        if totals:
            parts.append((f" · {totals}", MUTED))
        return StatusLine(parts)

    def _push_status(self) -> None:
        if self._loop is None or self.widget is None or not self.widget.comm:
            return
        with self.widget.hold_sync():  # one message for both
            self.widget.status_html = self._status_line().html()
            self.widget.running = self.running
