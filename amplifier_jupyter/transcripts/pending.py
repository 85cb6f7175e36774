"""Lines for one transcript file, written together: soon, or at once when it matters.

A short turn fires about 13 events, and writing each as it came was a write and a
flush each (about 0.7 ms a cell in a kernel, on this machine's file system). The
lines are kept and written in one go instead:

* at once when the caller says so: before a tool runs (its code may hold the loop
  or kill the kernel), at a run's end, when the session ends or the kernel exits;
* otherwise within :data:`WRITE_AFTER` by a timer on the running loop, so a kernel
  killed mid-run loses at most that much of its last events;
* at once where no loop runs (scripts, the exit fallback).

Lines are complete records when added (redacted and serialised then): what is
kept is text, and only when it reaches the file changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

# The longest a line waits for the file while the loop runs.
WRITE_AFTER = 0.25


class PendingLines:
    """Lines waiting for ``open_file()``'s handle (opened once, by the caller's rule)."""

    def __init__(self, open_file: Callable[[], Any]) -> None:
        self._open_file = open_file
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str, *, now: bool = False) -> None:
        """Keep ``text`` (whole lines); write everything kept now if ``now`` or no loop runs."""
        self._lines.append(text)
        if now:
            self.write()
            return
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.write()
            return
        self._timer = loop.call_later(WRITE_AFTER, self._write_soon)

    def write(self) -> None:
        """Write and flush every line kept, in one go (raises the file's ``OSError``)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        text, self._lines = "".join(self._lines), []
        handle = self._open_file()
        handle.write(text)
        handle.flush()

    def _write_soon(self) -> None:
        self._timer = None
        with contextlib.suppress(OSError):  # a full disk must not fill the loop's log
            self.write()
