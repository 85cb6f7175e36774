"""The kernel's busy status stays true while a cell runs and a control request comes.

ipykernel sends a ``busy`` and an ``idle`` status for every request it handles,
control requests included, each with that request as its parent. JupyterLab
4.6 shows the last status it received as the kernel's, skipping only the
parents in its ``untracked_message_types`` (kernel and comm info, shutdown,
interrupt, debug): so when a frontend creates a subshell while a cell runs, as
JupyterLab does on a kernel's first widget (docs/design.md, fact 17), the
subshell request's ``idle`` makes the kernel show Idle for the rest of that cell.
That is every kernel's first ``%%amplifier`` cell, whose panel is the first widget.

So the control handlers of those requests are wrapped: after ipykernel has sent
the request's ``idle``, if a cell still runs on the main shell, ``busy`` is sent
again with the cell's request as its parent, which is what the kernel is.
A lock shared with the cell's end makes sure it never comes after the cell's
own ``idle`` (IPython's ``post_execute`` comes before it).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

# Control requests that JupyterLab does not leave out of the kernel's status.
REQUESTS = (
    "create_subshell_request",
    "delete_subshell_request",
    "list_subshell_request",
    "usage_request",
)
_WRAPPED = "__amplifier_status__"

Handler = Callable[[Any, Any, Any], Awaitable[Any]]


class RunningCell:
    """The main shell's running cell (its request), kept by IPython's execute events."""

    def __init__(self, kernel: Any) -> None:
        self._kernel = kernel
        self._lock = threading.Lock()
        self._parent: Any = None
        self._depth = 0

    def started(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # a cell on a subshell has its own status
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._parent = self._kernel.get_parent("shell")

    def ended(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        with self._lock:
            # An empty cell triggers post_execute without pre_execute.
            self._depth = max(0, self._depth - 1)
            if self._depth == 0:
                self._parent = None

    def announce_busy(self) -> bool:
        """Send ``busy`` for the running cell, if one runs; whether it was sent."""
        with self._lock:
            parent = self._parent
            if not parent:
                return False
            publish = getattr(self._kernel, "_publish_status", None)
            if publish is None:
                return False
            with contextlib.suppress(Exception):
                publish("busy", "shell", parent=parent)
                return True
            return False


_RUNNING: RunningCell | None = None


def install(shell: Any) -> RunningCell | None:
    """Keep the kernel's status busy across control requests during a cell (once per kernel);
    None outside a kernel, or in a kernel without these handlers."""
    global _RUNNING
    kernel = getattr(shell, "kernel", None)
    handlers = getattr(kernel, "control_handlers", None)
    if kernel is None or not isinstance(handlers, dict):
        return None
    if _RUNNING is None:
        _RUNNING = RunningCell(kernel)
        shell.events.register("pre_execute", _RUNNING.started)
        shell.events.register("post_execute", _RUNNING.ended)
        # Loaded inside a cell: that cell is running now.
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop()
            _RUNNING.started()
    for name in REQUESTS:
        original = handlers.get(name)
        if original is not None and not getattr(original, _WRAPPED, False):
            handlers[name] = _wrap(original, _RUNNING)
    return _RUNNING


def _wrap(original: Handler, running: RunningCell) -> Handler:
    async def handler(stream: Any, ident: Any, parent: Any) -> Any:
        try:
            return await original(stream, ident, parent)
        finally:
            # ipykernel sends this request's idle when the handler returns: after that.
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().call_soon(running.announce_busy)

    setattr(handler, _WRAPPED, True)
    handler.__wrapped__ = original  # type: ignore[attr-defined]
    return handler
