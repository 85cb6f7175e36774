"""One request to a frontend and its reply: ``{id, op, ...args}`` out, ``{id, ok, result |
error}`` back.

The reply is a comm message, handled while the requesting cell awaits
(ipykernel 7.4: docs/design.md, fact 11) and possibly on a subshell thread
(fact 13): it reaches the waiting future through ``loop.call_soon_threadsafe``,
as a click reaches an approval question (``ui/approval_request.py``).
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from amplifier_jupyter.bridge.connections import CONNECTIONS, Connection
from amplifier_jupyter.bridge.errors import BridgeError, BridgeTimeout, NotConnected

# Seconds a request waits for its reply; AMPLIFIER_JUPYTER_BRIDGE_TIMEOUT overrides.
DEFAULT_TIMEOUT = 5.0


def request_timeout() -> float:
    """The timeout in force (the environment's, when it is a positive number)."""
    try:
        value = float(os.environ.get("AMPLIFIER_JUPYTER_BRIDGE_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Reply:
    """A frontend's answer: its result, or its error (``code``, ``message``, extra fields)."""

    ok: bool
    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def code(self) -> str:
        """The error's code (``changed``, ``no-cell``, ...), or "" for a success."""
        return str((self.error or {}).get("code") or "")

    @property
    def message(self) -> str:
        """The error's one line."""
        return str((self.error or {}).get("message") or "the frontend refused the request")


class _Waiting:
    """The futures of the requests sent and not yet answered, by request id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[Reply]]] = {}

    def add(self, request_id: str) -> asyncio.Future[Reply]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
        with self._lock:
            self._futures[request_id] = (loop, future)
        return future

    def discard(self, request_id: str) -> None:
        with self._lock:
            self._futures.pop(request_id, None)

    def answer(self, data: dict[str, Any]) -> None:
        """A reply arrived (any thread); an unknown or late one is dropped."""
        with self._lock:
            entry = self._futures.pop(str(data.get("id")), None)
        if entry is None:
            return
        loop, future = entry
        error = data.get("error")
        reply = Reply(
            ok=bool(data.get("ok")),
            result=data.get("result"),
            error=error if isinstance(error, dict) else {"message": str(error or "")},
        )
        loop.call_soon_threadsafe(_settle, future, reply)


def _settle(future: asyncio.Future[Reply], reply: Reply) -> None:
    if not future.done():
        future.set_result(reply)


WAITING = _Waiting()
CONNECTIONS.on_reply = WAITING.answer


async def send_request(
    op: str, args: dict[str, Any] | None = None, *, timeout: float | None = None
) -> tuple[Connection, Reply]:
    """Send one request to the chosen tab and await its reply.

    The tab is the most recently focused open one; one whose comm is gone when
    sending is skipped for the next. Once sent, a request is never sent again
    (it may have been carried out): no answer within ``timeout`` raises
    :class:`BridgeTimeout`.
    """
    limit = request_timeout() if timeout is None else timeout
    for connection in CONNECTIONS.ranked():
        request_id = uuid.uuid4().hex
        future = WAITING.add(request_id)
        try:
            connection.send({"id": request_id, "op": op, **(args or {})})
        except Exception:  # its comm closed under us: the next tab
            WAITING.discard(request_id)
            CONNECTIONS.remove(connection)
            continue
        try:
            return connection, await asyncio.wait_for(future, limit)
        except TimeoutError:
            raise BridgeTimeout(
                f"the notebook frontend did not answer {op!r} within {limit:g} s "
                "(is the tab still open? AMPLIFIER_JUPYTER_BRIDGE_TIMEOUT sets the wait)"
            ) from None
        finally:
            WAITING.discard(request_id)
    raise NotConnected()


def refused(op: str, reply: Reply) -> BridgeError:
    """The error for a reply that says no."""
    return BridgeError(f"the notebook frontend refused {op!r}: {reply.message}")
