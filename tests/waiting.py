"""Waiting in tests: every wait has a deadline, and when it runs out it says what it waited for.

A deadline bounds a hang; it is not a measure of speed. The default is long
(``DEADLINE``), so a loaded machine only makes a test slower, never failing:
an assertion about how fast something happened compares it with something of
the same run (a stop cut a 30 s wait short), not with a fixed number.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEADLINE = 30.0
POLL = 0.01


async def until(condition: Callable[[], object], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``condition`` on the running loop until it holds; ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        await asyncio.sleep(POLL)


async def within(awaitable: Awaitable[T], what: str, timeout: float = DEADLINE) -> T:
    """Await ``awaitable`` for at most ``timeout`` seconds; ``TimeoutError`` naming ``what``."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise TimeoutError(f"waited {timeout:g} s for {what}") from None


def in_kernel_until(condition: str, what: str, timeout: float = DEADLINE) -> str:
    """Cell code that awaits (on the kernel's loop) until the expression ``condition`` holds,
    and raises ``TimeoutError`` naming ``what`` after ``timeout`` seconds."""
    message = f"waited {timeout:g} s for {what}"
    return (
        "import asyncio as _asyncio, time as _time\n"
        f"_deadline = _time.monotonic() + {timeout!r}\n"
        f"while not ({condition}):\n"
        "    if _time.monotonic() > _deadline:\n"
        f"        raise TimeoutError({message!r})\n"
        f"    await _asyncio.sleep({POLL!r})\n"
    )
