"""Ending every live session when the kernel shuts down or restarts.

``cleanup()`` must run while the kernel's loop still runs (docs/design.md, fact 4),
and ipykernel has no public pre-shutdown hook: ``atexit`` runs after the loop
has stopped. So the kernel's ``shutdown_request`` handlers (shell and control
channel; a restart is a shutdown too) are wrapped: before ipykernel answers
and stops its loops, the wrapper stops a running agent, cleans every session
up on the kernel's main loop, and drains. ipykernel 7 handles control
messages on their own thread and loop, so the work is handed to the main
loop and awaited from there, within a budget below jupyter_client's wait
(5 s by default) before it kills the kernel.

The hook is installed once: by ``%load_ext``, and by the first start of the kernel's
session for the Python API without it (``session/kernel.py``). What it awaits is
``KernelSession.shutdown()``, the same ending as ``%amplifier reset``.

If the process exits some other way, an ``atexit`` fallback still records
``session:end`` in the transcripts of the sessions that were not cleaned up.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

# Total time the cleanup may take before the shutdown goes on without it.
SHUTDOWN_BUDGET = 3.0
_WRAPPED = "__amplifier_shutdown__"

Handler = Callable[[Any, Any, Any], Awaitable[Any]]
# What the hook awaits before ipykernel shuts down: ending every session of the kernel.
EndSessions = Callable[[], Awaitable[None]]


def install_shutdown_hook(end_sessions: EndSessions) -> bool:
    """Have this kernel's ``shutdown_request`` handlers await ``end_sessions()`` first.

    Installed once: a handler already wrapped is left alone, so a later call changes
    nothing. False outside a kernel, or before the kernel's loop runs (an extension
    loaded at startup): the first session start installs it then.
    """
    # atexit cannot say what it holds; unregistering first keeps one registration.
    atexit.unregister(record_unclean_exit)
    atexit.register(record_unclean_exit)
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return False
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    installed = False
    for name in ("shell_handlers", "control_handlers"):
        handlers = getattr(kernel, name, None)
        if not isinstance(handlers, dict) or handlers.get("shutdown_request") is None:
            continue
        original = handlers["shutdown_request"]
        if not getattr(original, _WRAPPED, False):
            handlers["shutdown_request"] = _wrap(original, end_sessions, loop)
        installed = True
    return installed


def _wrap(
    original: Handler, end_sessions: EndSessions, main_loop: asyncio.AbstractEventLoop
) -> Handler:
    async def shutdown_request(stream: Any, ident: Any, parent: Any) -> Any:
        with contextlib.suppress(Exception):
            await end_on_main_loop(end_sessions, main_loop)
        return await original(stream, ident, parent)

    setattr(shutdown_request, _WRAPPED, True)
    shutdown_request.__wrapped__ = original  # type: ignore[attr-defined]
    return shutdown_request


async def end_on_main_loop(end_sessions: EndSessions, main_loop: asyncio.AbstractEventLoop) -> None:
    """Await ``end_sessions()`` on the kernel's main loop, from whichever loop asks."""
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    if current is main_loop:
        await asyncio.wait_for(end_sessions(), SHUTDOWN_BUDGET)
        return
    if main_loop.is_closed() or not main_loop.is_running():
        return
    future = asyncio.run_coroutine_threadsafe(_ended(end_sessions), main_loop)
    try:
        await asyncio.wait_for(asyncio.wrap_future(future), SHUTDOWN_BUDGET)
    except TimeoutError:
        # The main loop is blocked (a plain cell in time.sleep): shut down without us.
        future.cancel()


async def _ended(end_sessions: EndSessions) -> None:
    # run_coroutine_threadsafe takes a coroutine, not any awaitable.
    await end_sessions()


def record_unclean_exit() -> None:
    """At interpreter exit: note ``session:end`` for sessions nobody cleaned up."""
    from amplifier_jupyter.transcripts.writer import live_writers

    for writer in live_writers():
        with contextlib.suppress(Exception):
            writer.event("session:end", {"reason": "the kernel exited without cleanup"})
            writer.end("exited")
