"""Rate-limiting widget updates: many changes in, at most one push per interval out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# 50 ms: at most about 20 updates a second, however fast deltas arrive.
DEFAULT_INTERVAL = 0.05


class Coalescer:
    """Calls ``push()`` at most once per ``interval``, after the latest change.

    ``changed()`` marks new content: the first change after a quiet spell
    pushes at once, later ones are folded into one push when the interval
    has passed. ``flush()`` pushes now if anything is pending (the end of a
    run), so the last state is always sent. Use it from the loop's thread.
    """

    def __init__(self, push: Callable[[], None], interval: float = DEFAULT_INTERVAL) -> None:
        self._push = push
        self.interval = interval
        self.pushes = 0
        self._pending = False
        self._last = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    def changed(self) -> None:
        """Something changed; push now or schedule one push for later."""
        self._pending = True
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): push directly
            self.flush()
            return
        wait = self._last + self.interval - loop.time()
        if wait <= 0:
            self.flush()
        else:
            self._timer = loop.call_later(wait, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.flush()

    def flush(self) -> None:
        """Push now if a change is pending."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        self._pending = False
        try:
            self._last = asyncio.get_running_loop().time()
        except RuntimeError:
            self._last = float("-inf")
        self.pushes += 1
        self._push()

    def cancel(self) -> None:
        """Drop any scheduled push (the view is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending = False
