"""The Stop button while user code blocks the kernel's main thread.

User code that a tool runs synchronously (and the user's ``__repr__`` while a
cell gathers its notebook context) holds the main thread, and with it the
event loop. A widget click that ipykernel handles on the main thread waits
for that code to end (docs/design.md, fact 17). ipykernel 7.4 can handle a
comm message on a subshell thread instead, when the frontend sends it to a
subshell (JupyterLab 4 does, for widgets: its ``commsOverSubshells`` setting)
*and* the comm does not route it back: by default a comm routes incoming
messages to the subshell that last published on it, which for the panel's
widgets is the main shell running the cell. So:

* :func:`route_to_frontend_subshell` lets a widget's incoming messages go
  where the frontend sent them (the Stop button's clicks: nothing waits for
  a reply on that comm);
* :func:`blocking_code` marks the blocks where the main thread runs such
  code (``user_code_interruptible``, ``context_interruptible``), and
  :func:`interrupt_blocking_code`, called from a click on another thread,
  then sends the main thread ``SIGINT``: the handler in place for the block
  raises in the user's code exactly as the kernel's interrupt does;
* where a click cannot arrive during the block (no subshell: a frontend
  that sends comms on the main shell, a test's ``jupyter_client``),
  :func:`stop_reaches_blocking_code` says so, and the panel tells the user
  that the kernel's interrupt stops the code, for as long as it runs
  (listeners added with :func:`add_blocking_listener`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

BlockingListener = Callable[[bool], None]

# Held while the main thread enters or leaves a block, and while a click decides to
# interrupt one: a click never signals a main thread that has already left its block.
_lock = threading.Lock()
_depth = 0
# Set when a click interrupted the block: the click asks the agent to stop itself.
_by_click = False
_listeners: list[BlockingListener] = []


def _main_thread() -> threading.Thread:
    return threading.main_thread()


@contextlib.contextmanager
def blocking_code() -> Iterator[None]:
    """Mark the block as user code holding the main thread (use it on the main thread only).

    Put it inside the block that installs the raising ``SIGINT`` handler, so a
    signal sent just before the mark is cleared still raises there.
    """
    global _depth, _by_click
    with _lock:
        _depth += 1
        first = _depth == 1
        if first:
            _by_click = False
    if first:
        _tell(True)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            last = _depth == 0
        if last:
            _tell(False)


def _tell(blocking: bool) -> None:
    for listener in list(_listeners):
        with contextlib.suppress(Exception):  # a broken view must not break the user's code
            listener(blocking)


def add_blocking_listener(listener: BlockingListener) -> None:
    """``listener(True)`` before user code blocks the main thread, ``listener(False)`` after."""
    _listeners.append(listener)


def remove_blocking_listener(listener: BlockingListener) -> None:
    """Stop calling ``listener`` (no error if it was not added)."""
    with contextlib.suppress(ValueError):
        _listeners.remove(listener)


def interrupt_blocking_code() -> bool:
    """From a thread other than the main one: interrupt the user code blocking it, if any.

    Returns whether a ``SIGINT`` was sent (the block's handler raises it in the code).
    """
    global _by_click
    main = _main_thread()
    if threading.current_thread() is main or main.ident is None:
        return False
    with _lock:
        if _depth == 0:
            return False
        _by_click = True
        # To the main thread itself: a blocking call there (time.sleep) wakes up for it.
        signal.pthread_kill(main.ident, signal.SIGINT)
    return True


def took_click_interrupt() -> bool:
    """Whether the last interrupt of a block came from a click (and forget it)."""
    global _by_click
    with _lock:
        by_click, _by_click = _by_click, False
    return by_click


def route_to_frontend_subshell(widget: Any) -> None:
    """Let the messages a frontend sends to ``widget`` reach the subshell it sent them to.

    ipykernel 7.4's comms route incoming messages through ``_reply_subshell_for``
    (to the subshell that last published on the comm, else the message's own);
    this comm keeps the message's own. Without that hook (another kernel) nothing changes.
    """
    comm = getattr(widget, "comm", None)
    if comm is None or not hasattr(comm, "_reply_subshell_for"):
        return

    def message_own_subshell(data: Any, default: Any) -> Any:
        return default

    with contextlib.suppress(AttributeError, TypeError):
        comm._reply_subshell_for = message_own_subshell


def stop_reaches_blocking_code() -> bool:
    """Whether a Stop click can arrive while user code blocks the main thread.

    True when the kernel has a subshell, which a frontend that sends widget
    messages over subshells (JupyterLab 4) creates on the first widget.
    """
    try:
        from IPython import get_ipython

        kernel = getattr(get_ipython(), "kernel", None)
        manager = kernel.shell_channel_thread.manager  # type: ignore[union-attr]
        return bool(manager.list_subshell())
    except Exception:
        return False
