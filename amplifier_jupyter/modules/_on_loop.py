"""A plain hook handler's work, handed from amplifier-core's runtime thread to the loop.

amplifier-core calls a plain function's handler on a thread of its runtime, and a
coroutine function's as a task of the loop reached from that thread and awaited
back, which costs about three times as much (docs/design.md, fact 10). A plain
handler whose work belongs on the loop (anything that touches the session's
state, widgets, timers) schedules it there with :func:`hand_to_loop` and answers
at once: amplifier-core completes the ``emit`` through the same loop queue after
the handler returns, so the work has run before the ``await emit()`` goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


def running_loop() -> asyncio.AbstractEventLoop | None:
    """This thread's running loop, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def hand_to_loop(
    loop: asyncio.AbstractEventLoop | None, work: Callable[..., Any], *args: Any
) -> bool:
    """Schedule ``work(*args)`` on ``loop`` from another thread; False where it must run
    here and now instead (no loop, a loop that does not run, or this is its thread)."""
    if loop is None or not loop.is_running() or running_loop() is loop:
        return False
    loop.call_soon_threadsafe(work, *args)
    return True
