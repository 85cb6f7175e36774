"""The host's one hook on every event of a session: the transcript, then the observer.

amplifier-core's ``emit`` costs about 265 µs an event with no hook, 604 µs with one
Python hook and 858 µs with two (docs/design.md, fact 10). The host used to register
two hooks on every event, the transcript writer (priority 999) and the observer
(1000, the panel, the totals, the listeners); :class:`HostHook` is one handler that
calls both, in that order, so each event crosses from Rust into Python once.

Each part is isolated: one that raises is skipped with one quiet line a run
(``QuietFaults``, ``session/logs.py``) and the next part still runs; neither can
change the flow (the hook always answers ``continue``). A part returns None, or an
awaitable to await (the transcript, when it must read a context that is not
context-notebook's). The Stop gate (``session/stopping.py``) runs before it and,
for an abandoned run, denies the event before the host sees it, as it did before
both hooks.

The handler is a plain function, which amplifier-core calls on a thread of its
runtime, not the loop's: a coroutine function's handler it runs as a task of the
loop, reached from that thread and awaited back, which cost about 210 µs an
event in a kernel against about 70 µs (docs/design.md, fact 10). The parts belong
on the loop (the panel, widgets, the transcript's reading of the context), so the
handler hands the event to the loop (``call_soon_threadsafe``) and answers at
once with None, amplifier-core's ``continue`` (a ``HookResult`` to build and
convert cost about 30 µs more an event). amplifier-core completes ``emit``
through the same loop queue after the handler returns, so the parts have seen
the event before the ``await emit()`` that sent it goes on, as with a coroutine
handler. A part that hands back an awaitable is awaited before the parts after
it, and before the next events' (they wait their turn behind it). Where the
loop does not run (a script's session after its loop, the exit) or the handler
is called on the loop's own thread, the parts run at once.

The built-in modules' events usually skip amplifier-core altogether: the hook is
registered as a *direct* handler too (``modules/_emit.py``), and when it is all
that listens (with the approval hook's turn start), :meth:`HostHook.direct` is
called on the loop with the data amplifier-core would have handed over, and the
parts run as the hand-off would have run them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from amplifier_jupyter.modules._emit import register_direct
from amplifier_jupyter.modules._on_loop import hand_to_loop, running_loop
from amplifier_jupyter.session.logs import QuietFaults

HOST_HOOK = "notebook-host"
# After the plan's own hooks (which may change or deny an event), as the two were.
HOST_PRIORITY = 999

Part = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class HostHook:
    """Calls each part with every event, in the order added (see the module docstring)."""

    def __init__(self, faults: QuietFaults) -> None:
        self._faults = faults
        self._parts: list[tuple[str, Part]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        # The last event whose parts still await something: the next ones wait behind it.
        self._behind: asyncio.Future[Any] | None = None

    def add(self, name: str, part: Part) -> None:
        """Call ``part(event, data)`` for every event, after the parts added before it."""
        self._parts.append((name, part))

    def dispatch(self, event: str, data: dict[str, Any]) -> Awaitable[None] | None:
        """The hook, on amplifier-core's thread: the event goes to the loop's thread."""
        if hand_to_loop(self._loop, self._deliver, event, data):
            return None  # continue
        return self.run_parts(event, data)

    def direct(self, event: str, data: dict[str, Any]) -> Awaitable[None] | None:
        """The hook as the built-ins' short way calls it (``modules/_emit.py``), on the
        emitting loop: on the session's loop the parts run now, as :meth:`dispatch`'s
        hand-off would before ``emit`` returns; elsewhere as :meth:`dispatch`."""
        if self._loop is not None and running_loop() is self._loop:
            self._deliver(event, data)
            return None
        return self.dispatch(event, data)

    def _deliver(self, event: str, data: dict[str, Any]) -> None:
        """On the loop: the parts now, or behind the event still being handled."""
        behind = self._behind
        if behind is not None and not behind.done():
            self._behind = asyncio.ensure_future(self._after(behind, event, data))
            return
        pending = self.run_parts(event, data)
        self._behind = asyncio.ensure_future(pending) if asyncio.iscoroutine(pending) else None

    async def _after(self, behind: asyncio.Future[Any], event: str, data: dict[str, Any]) -> None:
        await asyncio.wait({behind})  # however it ended
        pending = self.run_parts(event, data)
        if asyncio.iscoroutine(pending):
            await pending

    def run_parts(self, event: str, data: dict[str, Any]) -> Awaitable[None] | None:
        """Every part, in order, with ``event``: None, or a coroutine that awaits a part's
        awaitable and runs the parts after it."""
        for index, (name, part) in enumerate(self._parts):
            try:
                pending = part(event, data)
            except Exception as error:  # a broken part must not break the agent or the others
                self._faults.note(f"{name} failed on {event}: {error}")
                continue
            if pending is not None:
                return self._finish(event, data, name, pending, index + 1)
        return None

    async def _finish(
        self, event: str, data: dict[str, Any], name: str, pending: Awaitable[None], start: int
    ) -> None:
        """Await a part's ``pending`` work, then run the parts after it."""
        try:
            await pending
        except Exception as error:
            self._faults.note(f"{name} failed on {event}: {error}")
        for later_name, part in self._parts[start:]:
            try:
                more = part(event, data)
                if more is not None:
                    await more
            except Exception as error:
                self._faults.note(f"{later_name} failed on {event}: {error}")

    def register(self, coordinator: Any) -> None:
        """Register on every event of ``coordinator``'s session (on the loop the session
        runs on: its events are handed to it)."""
        from amplifier_core.events import ALL_EVENTS

        self._loop = running_loop()
        for event in ALL_EVENTS:
            register_direct(
                coordinator,
                event,
                self.dispatch,
                self.direct,
                priority=HOST_PRIORITY,
                name=HOST_HOOK,
            )
