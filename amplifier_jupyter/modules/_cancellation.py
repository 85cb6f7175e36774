"""Waiting while the user may press Stop: what the built-in loop and providers share.

Stop sets the coordinator's ``cancellation`` token; nothing interrupts an
awaited call for it (cancelling the task that awaits ``execute()`` does not
reach the orchestrator: docs/design.md, fact 3), so whatever waits polls the token.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

# The result of a tool call that an interrupted run (a stop, a killed kernel) left
# without one: the API wants every tool_use answered.
MISSING_RESULT = "Error: this tool call has no recorded result (the run was interrupted)."

# How often a waiting call looks at the cancellation token: Stop must take
# effect well within a second, even while the API or a tool is silent.
CANCEL_POLL = 0.05


def is_cancelled(coordinator: Any) -> bool:
    """Whether the user asked to stop (False without a coordinator or a token)."""
    token = getattr(coordinator, "cancellation", None)
    return bool(token is not None and token.is_cancelled)


async def until_cancelled(
    awaitable: Awaitable[T],
    coordinator: Any,
    stopped: Callable[[], BaseException],
    *,
    context: contextvars.Context | None = None,
) -> T:
    """Await ``awaitable``; if the user asks to stop first, cancel it and raise ``stopped()``.

    It runs as a task of its own, in a copy of the caller's context variables,
    or in ``context`` when given (a coroutine), so that the caller can read what
    it set there afterwards.
    """
    if context is not None and asyncio.iscoroutine(awaitable):
        task: asyncio.Future[T] = asyncio.get_running_loop().create_task(awaitable, context=context)
    else:
        task = asyncio.ensure_future(awaitable)
    if getattr(coordinator, "cancellation", None) is None:
        return await task
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=CANCEL_POLL)
            if done:
                return task.result()
            if is_cancelled(coordinator):
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                raise stopped()
    except asyncio.CancelledError:
        task.cancel()
        raise
