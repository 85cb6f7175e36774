"""The kernel's interrupt during an agent run, and around user code run by a tool.

Three situations, three behaviours:

* While a ``%%amplifier`` cell awaits the agent, ipykernel's own SIGINT
  handler only takes effect when the awaited call returns (docs/design.md, fact 14),
  so :func:`interrupt_stops` lets the event loop take the signal and ask the
  agent to stop at once. It is used by the foreground cell (and
  ``%amplifier wait``) only: a background run is stopped by its Stop button.

* A tool that runs user code synchronously in the kernel (the ``python``
  tool) blocks the loop, so a loop-level handler would never run. Such a tool
  wraps the user code in :func:`user_code_interruptible`::

      from amplifier_jupyter._ipython.interrupts import user_code_interruptible

      try:
          with user_code_interruptible():
              exec(code, namespace)
      except KeyboardInterrupt:
          return ToolResult(success=False, error={"message": "KeyboardInterrupt"})

  Inside the block the interrupt raises ``KeyboardInterrupt`` in the user
  code, as in any cell, and so does a Stop click that reaches the kernel on
  another thread meanwhile (``blocking.py``). When the interrupt's
  ``KeyboardInterrupt`` escapes the block, the agent is asked to stop (the
  foreground run's stop, or ``on_interrupt`` when given; a click asks on its
  own). The tool must catch it (outside the block, as above): a
  ``KeyboardInterrupt`` leaving a task would stop the kernel's event loop.

* While a cell gathers its notebook context (summaries, interpolation: the
  user's ``__repr__`` and friends run synchronously), ipykernel's handler
  would only cancel the cell after the gathering ended. Inside
  :func:`context_interruptible` the interrupt raises
  :class:`~amplifier_jupyter.notebook_context.guard.ContextInterrupted` at
  once instead, which the summaries let through and the cell reports as a
  stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from amplifier_jupyter._ipython.blocking import blocking_code, took_click_interrupt
from amplifier_jupyter.notebook_context.guard import ContextInterrupted

StopFunction = Callable[[], Awaitable[Any]]

# The handler installed by interrupt_stops, if any: (the signal handler, the callback it
# hands to the loop). Process-wide because SIGINT's handler is: there is one at a time, and
# user_code_interruptible, called by a tool that knows nothing of the run, must find the one
# in place to call it.
_installed: tuple[Callable[[int, Any], None], Callable[[], None]] | None = None


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def interrupt_stops(stop: StopFunction) -> Iterator[None]:
    """For the block's length, the kernel's interrupt calls ``stop()`` (a coroutine function).

    The handler the kernel had before (ipykernel's own during a cell) is put
    back afterwards, so plain cells are interrupted as usual.
    """
    global _installed
    loop = asyncio.get_running_loop()
    if not _in_main_thread() or _installed is not None:
        # Signals reach the main thread only; and a nested use keeps the outer handler.
        yield
        return

    def on_interrupt() -> None:
        asyncio.ensure_future(stop())

    def on_signal(signum: int, frame: Any) -> None:
        # Python runs it on the main thread at once, also while the loop waits for its
        # sockets (the wait is interrupted, then retried): the loop takes it from there.
        loop.call_soon_threadsafe(on_interrupt)

    # signal.signal, not loop.add_signal_handler: that one cost about 120 µs a cell (it
    # lists the valid signals and sets the wake-up fd, and removing it again unsets it).
    previous = signal.signal(signal.SIGINT, on_signal)
    _installed = (on_signal, on_interrupt)
    try:
        yield
    finally:
        _installed = None
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )


@contextlib.contextmanager
def user_code_interruptible(on_interrupt: Callable[[], Any] | None = None) -> Iterator[None]:
    """Let the kernel's interrupt reach synchronous user code as ``KeyboardInterrupt``.

    Restores Python's normal SIGINT handler (``signal.default_int_handler``)
    for the block and re-installs whatever was there afterwards (the loop's
    stop handler during a run). A ``KeyboardInterrupt`` leaving the block also
    asks the agent to stop: ``on_interrupt()`` if given, else the foreground
    run's stop; then it propagates, for the tool to report as its result.
    See the module docstring for the pattern.
    """
    if not _in_main_thread():
        yield
        return
    installed = _installed
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with blocking_code():  # a Stop click on another thread interrupts it too
            yield
    except KeyboardInterrupt:
        callback = on_interrupt or (installed[1] if installed is not None else None)
        if callback is not None and not took_click_interrupt():  # a click stops on its own
            callback()
        raise
    finally:
        # What was there: the run's handler (interrupt_stops) during a run.
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def context_interruptible() -> Iterator[None]:
    """For the block's length, the kernel's interrupt raises ``ContextInterrupted`` at once.

    Put around the synchronous gathering of a cell's notebook context. If the
    user's code swallows the exception (a bare ``except``), the block still
    raises it when it ends: the user asked to stop.
    """
    if not _in_main_thread():
        yield
        return
    interrupted: list[bool] = []

    def on_interrupt(signum: int, frame: Any) -> None:
        interrupted.append(True)
        raise ContextInterrupted()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        with blocking_code():
            yield
    finally:
        signal.signal(
            signal.SIGINT, previous if previous is not None else signal.default_int_handler
        )
    if interrupted:
        raise ContextInterrupted()
