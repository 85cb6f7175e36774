"""Ending every live session when the kernel shuts down or restarts.

``cleanup()`` must run while the kernel's loop still runs (docs/design.md, fact 4),
and ipykernel has no public pre-shutdown hook: ``atexit`` runs after the loop
has stopped. So the kernel's ``shutdown_request`` handlers (shell and control
channel; a restart is a shutdown too) are wrapped: before ipykernel answers
and stops its loops, the wrapper stops a running agent, cleans every session
up on the kernel's main loop, and drains. ipykernel 7 handles control
messages on their own thread and loop, so the work is handed to the main
loop and awaited from there, within a budget that leaves room for the exit
before jupyter_client's SIGTERM (sent half-way through its 5 s default wait).

The hook is installed once: by ``%load_ext``, and by the first start of the kernel's
session for the Python API without it (``session/kernel.py``). What it awaits is
``KernelSession.shutdown()``, the same ending as ``%amplifier reset``.

If the process exits some other way, an ``atexit`` fallback still records
``session:end`` in the transcripts of the sessions that were not cleaned up.

The exit itself must be quick too. jupyter_client sends SIGTERM when the
process is still alive half-way through its wait (2.5 s of 5 s). After a
provider-claude run the kernel holds about 4,000 modules and 200,000 objects
(the anthropic SDK and pydantic), and the interpreter's finalization ran full
garbage collections over all of them: 1.0-2.6 s under load, measured, so
jupyter_client killed kernels that had already cleaned up. So the last
``atexit`` step freezes the garbage collector's objects (``gc.freeze()``):
finalization then skips them, and the process exits in a few tens of
milliseconds more than a kernel without the extension. Python never promised
``__del__`` for objects still alive at exit; our sessions are ended and their
transcripts written before.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

# Total time the cleanup may take before the shutdown goes on without it: with
# the exit that follows, under jupyter_client's 2.5 s before SIGTERM.
SHUTDOWN_BUDGET = 2.0
# At most this long the main thread waits for the control thread to finish the
# shutdown message before it stops the IOPub thread (see _main_thread_held).
EXIT_ORDER_WAIT = 1.0
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
    atexit.unregister(before_exit)
    atexit.register(before_exit)
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
        if not _ours_inside(original):
            handlers["shutdown_request"] = _wrap(original, end_sessions, loop)
        installed = True
    return installed


def _ours_inside(handler: Any) -> bool:
    """Whether our wrapper is ``handler`` or inside it.

    Another extension may wrap the handler after us (following ``__wrapped__``, as
    ``functools.wraps`` sets it); wrapping again would end the sessions twice and
    hold the exit a second time.
    """
    for _ in range(32):  # a bounded walk: a chain that loops must not hang the kernel
        if handler is None:
            return False
        if getattr(handler, _WRAPPED, False):
            return True
        handler = getattr(handler, "__wrapped__", None)
    return False


def _wrap(
    original: Handler, end_sessions: EndSessions, main_loop: asyncio.AbstractEventLoop
) -> Handler:
    async def shutdown_request(stream: Any, ident: Any, parent: Any) -> Any:
        with contextlib.suppress(Exception):
            await end_on_main_loop(end_sessions, main_loop)
        with _main_thread_held(main_loop):
            return await original(stream, ident, parent)

    setattr(shutdown_request, _WRAPPED, True)
    shutdown_request.__wrapped__ = original  # type: ignore[attr-defined]
    return shutdown_request


@contextlib.contextmanager
def _main_thread_held(main_loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Keep the kernel's main thread from exiting until this control message is done.

    A race in ipykernel 7.4: its ``shutdown_request`` tells the main loop to
    stop and returns; then, still on the control thread, ipykernel flushes
    stdout and stderr through the IOPub thread and waits up to 10 s for that.
    Meanwhile the main thread leaves its loop, stops the IOPub thread and
    joins the control thread. When the IOPub thread stops first, the flush
    waits out its 10 s, the join waits for the flush, and jupyter_client kills
    the kernel (seen under load, about one shutdown in 30). So before the stop
    is asked for, the main loop gets a callback that waits until the control
    loop's next turn, which comes after those flushes; a second at most.
    """
    try:
        control_loop = asyncio.get_running_loop()
    except RuntimeError:
        control_loop = None
    if control_loop is None or control_loop is main_loop or not main_loop.is_running():
        yield  # the shell channel's request: the main thread flushes and stops in order
        return
    finished = threading.Event()
    main_loop.call_soon_threadsafe(finished.wait, EXIT_ORDER_WAIT)
    try:
        yield
    finally:
        control_loop.call_soon(finished.set)


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


def before_exit() -> None:
    """The ``atexit`` step: record unclean ends, then make finalization quick (see above)."""
    record_unclean_exit()
    gc.freeze()


def record_unclean_exit() -> None:
    """At interpreter exit: note ``session:end`` for sessions nobody cleaned up."""
    from amplifier_jupyter.transcripts.writer import live_writers

    for writer in live_writers():
        with contextlib.suppress(Exception):
            writer.event("session:end", {"reason": "the kernel exited without cleanup"})
            writer.end("exited")
