"""The frontends that opened the bridge, and the one a request goes to.

Each notebook tab of JupyterLab (or Notebook 7) whose kernel has the extension
loaded opens one comm with the target :data:`TARGET`; its open message names
the notebook's path and the tab (``client_id``). A tab says when it gets the
focus. A request goes to exactly one comm, the most recently focused (or, if
none said so, opened) of those still open, so that with two tabs or
collaborators on one notebook it is carried out once.

Comm messages may arrive on a subshell thread (docs/design.md, fact 13): the
table is guarded by a lock, and replies are handed to the waiting coroutine's
loop by :mod:`amplifier_jupyter.bridge.requests`.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TARGET = "amplifier_jupyter.bridge"
PROTOCOL_VERSION = 1


@dataclass(eq=False)
class Connection:
    """One open comm: one notebook tab."""

    comm: Any
    path: str
    client_id: str
    opened: int
    focused: int = 0
    closed: bool = False

    def send(self, data: dict[str, Any]) -> None:
        """Send one message to this tab."""
        self.comm.send(data)


class Connections:
    """The open connections (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[Connection] = []
        self._clock = itertools.count(1)
        # Where replies go (set by amplifier_jupyter.bridge.requests, which sends the requests).
        self.on_reply: Callable[[dict[str, Any]], None] = lambda data: None

    def add(self, comm: Any, data: dict[str, Any]) -> Connection:
        """A tab opened the bridge (its open message's ``data``)."""
        with self._lock:
            stamp = next(self._clock)
            connection = Connection(
                comm=comm,
                path=str(data.get("path") or ""),
                client_id=str(data.get("client_id") or ""),
                opened=stamp,
                focused=stamp,
            )
            self._open.append(connection)
            return connection

    def focus(self, connection: Connection) -> None:
        """The tab got the focus: requests go to it from now on."""
        with self._lock:
            connection.focused = next(self._clock)

    def remove(self, connection: Connection) -> None:
        """The comm closed (the tab went away, the kernel restarted, the extension unloaded)."""
        with self._lock:
            connection.closed = True
            if connection in self._open:
                self._open.remove(connection)

    def ranked(self) -> list[Connection]:
        """The open connections, the one a request goes to first."""
        with self._lock:
            return sorted(self._open, key=lambda c: (c.focused, c.opened), reverse=True)

    def clear(self) -> list[Connection]:
        """Forget every connection; the ones that were open."""
        with self._lock:
            gone, self._open = self._open, []
            for connection in gone:
                connection.closed = True
            return gone


CONNECTIONS = Connections()


def _opened(comm: Any, msg: dict[str, Any]) -> None:
    data = (msg.get("content") or {}).get("data") or {}
    connection = CONNECTIONS.add(comm, data if isinstance(data, dict) else {})

    def received(message: dict[str, Any]) -> None:
        body = (message.get("content") or {}).get("data") or {}
        if not isinstance(body, dict):
            return
        if body.get("event") == "focus":
            CONNECTIONS.focus(connection)
        elif "id" in body and "ok" in body:
            CONNECTIONS.on_reply(body)

    comm.on_msg(received)
    comm.on_close(lambda _msg: CONNECTIONS.remove(connection))
    comm.send({"event": "ready", "version": PROTOCOL_VERSION})


def _comm_manager(shell: Any) -> Any | None:
    """The kernel's comm manager; None outside a kernel (terminal IPython)."""
    if getattr(shell, "kernel", None) is None:
        return None
    try:
        import comm
    except ImportError:
        return None
    return comm.get_comm_manager()


def install(shell: Any) -> None:
    """Accept bridge comms from the frontend (``%load_ext``)."""
    manager = _comm_manager(shell)
    if manager is not None:
        manager.register_target(TARGET, _opened)


def uninstall(shell: Any) -> None:
    """Stop accepting them and close the open ones (``%unload_ext``)."""
    manager = _comm_manager(shell)
    if manager is None:
        return
    manager.unregister_target(TARGET, _opened)
    for connection in CONNECTIONS.clear():
        with contextlib.suppress(Exception):  # a comm already gone: nothing left to close
            connection.comm.close()
