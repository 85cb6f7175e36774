"""The host's one hook on every event of a session: the transcript, then the observer.

amplifier-core's ``emit`` costs about 265 µs an event with no hook, 604 µs with one
Python hook and 858 µs with two (docs/design.md, fact 10). The host used to register
two hooks on every event, the transcript writer (priority 999) and the observer
(1000, the panel, the totals, the listeners); :class:`HostHook` is one handler that
calls both, in that order, so each event crosses from Rust into Python once.

Each part is isolated: one that raises is skipped with one quiet line a run
(``QuietFaults``, ``session/logs.py``) and the next part still runs; neither can
change the flow (the hook always answers ``continue``). A part returns None, or an
awaitable to await (the transcript writes messages after some events). The Stop
gate (``session/stopping.py``) runs before it and, for an abandoned run, denies
the event before the host sees it, as it did before both hooks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

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

    def add(self, name: str, part: Part) -> None:
        """Call ``part(event, data)`` for every event, after the parts added before it."""
        self._parts.append((name, part))

    async def dispatch(self, event: str, data: dict[str, Any]) -> Any:
        """The hook: every part, in order, with ``event``."""
        from amplifier_core import HookResult

        for name, part in self._parts:
            try:
                pending = part(event, data)
                if pending is not None:
                    await pending
            except Exception as error:  # a broken part must not break the agent or the others
                self._faults.note(f"{name} failed on {event}: {error}")
        return HookResult()

    def register(self, coordinator: Any) -> None:
        """Register on every event of ``coordinator``'s session."""
        from amplifier_core.events import ALL_EVENTS

        for event in ALL_EVENTS:
            coordinator.hooks.register(event, self.dispatch, priority=HOST_PRIORITY, name=HOST_HOOK)
