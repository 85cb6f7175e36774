"""The short way for the built-in modules' events: no trip through amplifier-core when
nobody but the host listens.

amplifier-core's ``hooks.emit`` costs about 265 µs an event with no hook and 604 µs
with one Python hook (docs/design.md, fact 10), most of it the way there and back:
the data turned into JSON and parsed in Rust, each Python handler reached from a
thread of amplifier-core's runtime, its answer handed back to the loop. A short turn
of the built-in loop sends 13 events, and the host's own handlers, which only look
at them, are all that listen to most. :func:`emit` is what the built-in modules call
instead of ``hooks.emit``:

* no handler for the event: nothing is sent. The request id amplifier-core would
  stamp is still resolved, so the correlation of the next ``llm:``/``provider:``
  event is what it would have been;
* the event's only handlers are the host's *direct* handlers (registered with
  :func:`register_direct`: the host hook, ``session/host_hook.py``, and the approval
  hook's turn start): each is called here, on the loop, in amplifier-core's order,
  with the data amplifier-core would have given it (see :meth:`DirectHandlers.data`);
* any other handler (a plan's hooks module, the Stop gate, anything registered
  under a direct handler's name by someone else): amplifier-core's own ``emit``,
  whose semantics (deny, modify, ask_user, inject_context) stay upstream's; so is
  data whose JSON amplifier-core would read otherwise (:meth:`DirectHandlers.data`).

The handlers are told apart by name (``hooks.list_handlers(event)``, in priority
order, must list exactly the direct handlers' names): a handler registered in
place of one of ours under its name, after unregistering it, would be missed.

A direct handler only observes: it answers ``continue`` (None) or an awaitable to
await, is given the same dict as the others and must not change it. Every event
still yields to the loop once (``asyncio.sleep(0)``), so a Stop or a cancel gets
its turn between two events as it did.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from amplifier_core import HookResult
from amplifier_core.correlation import REQUEST_ID_FIELD, resolve_request_id

logger = logging.getLogger(__name__)

# Where a session's direct handlers are kept: a capability of its coordinator (it lives
# and goes with the session).
CAPABILITY = "amplifier_jupyter.direct_handlers"

# A direct handler: called on the loop with (event, data); None or an awaitable.
Direct = Callable[[str, dict[str, Any]], Awaitable[Any] | None]

# The integers amplifier-core's JSON keeps as integers (serde_json: i64 or u64); others
# arrive as floats.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


class DirectHandlers:
    """One session's direct handlers, by event, in amplifier-core's order (priority,
    lowest first; equal priorities in the order registered)."""

    def __init__(self, coordinator: Any) -> None:
        # The fields amplifier-core's session sets on its registry (set_default_fields).
        self.defaults = {
            "session_id": getattr(coordinator, "session_id", None),
            "parent_id": getattr(coordinator, "parent_id", None),
        }
        self._entries: dict[str, list[tuple[int, int, str, Direct]]] = {}
        # Per event: the handler names list_handlers() must report, and what to call.
        self._expected: dict[str, tuple[list[str], list[Direct]]] = {}
        self._added = 0

    def add(self, event: str, name: str, priority: int, call: Direct) -> Callable[[], None]:
        """Add ``call`` for ``event``; returns a function that takes it out again."""
        self._added += 1
        entry = (priority, self._added, name, call)
        entries = self._entries.setdefault(event, [])
        entries.append(entry)
        self._index(event)

        def remove() -> None:
            if entry in entries:
                entries.remove(entry)
                self._index(event)

        return remove

    def _index(self, event: str) -> None:
        entries = sorted(self._entries.get(event, ()), key=lambda e: (e[0], e[1]))
        self._expected[event] = ([e[2] for e in entries], [e[3] for e in entries])

    def matching(self, event: str, names: list[str]) -> list[Direct] | None:
        """What to call when amplifier-core lists ``names`` for ``event``: the direct
        handlers when they are exactly those, else None."""
        expected = self._expected.get(event)
        if expected is None or expected[0] != names:
            return None
        return expected[1]

    def data(self, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
        """What a Python handler of amplifier-core 2.0.2 receives for ``data``: a JSON copy
        (``default=str``: a model or a ``Decimal`` as its ``str()``, a tuple as a list,
        keys in sorted order at every depth), the request id stamped, the registry's
        default fields under the event's own, and a ``timestamp`` (RFC 3339, UTC).
        None where amplifier-core's JSON would differ from Python's or refuse the data
        (NaN, a UTF-16 surrogate, non-string keys): the full ``emit`` decides then."""
        try:
            text = json.dumps(data, default=str, allow_nan=False)
        except (TypeError, ValueError):
            return None
        if "\\ud" in text:  # a surrogate pair or a lone one: serde_json's business
            return None
        copy: dict[str, Any] = json.loads(text, object_pairs_hook=_sorted, parse_int=_integer)
        stamp_request_id(event, copy)
        merged = {**self.defaults, **copy, "timestamp": timestamp()}
        return dict(sorted(merged.items()))


def _sorted(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return dict(sorted(pairs, key=lambda pair: pair[0]))


def _integer(text: str) -> int | float:
    value = int(text)
    return value if _INT_MIN <= value <= _INT_MAX else float(text)


def stamp_request_id(event: str, data: dict[str, Any]) -> None:
    """Put the correlation id on ``data`` as amplifier-core's emit does (its policy is
    ``amplifier_core.correlation``; the emit applies it to the ``llm:`` and ``provider:``
    families, with an explicit non-empty string winning)."""
    if not (event.startswith("llm:") or event.startswith("provider:")):
        return
    explicit = data.get(REQUEST_ID_FIELD)
    if not isinstance(explicit, str) or not explicit:
        explicit = None
    resolved = resolve_request_id(event, explicit)
    if resolved is not None and resolved != explicit:
        data[REQUEST_ID_FIELD] = resolved


def timestamp() -> str:
    """Now, as amplifier-core writes it (chrono's RFC 3339: as many fraction digits as
    needed of 0, 3, 6 or 9, and ``+00:00``)."""
    seconds, nanos = divmod(time.time_ns(), 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if nanos == 0:
        fraction = ""
    elif nanos % 1_000_000 == 0:
        fraction = f".{nanos // 1_000_000:03d}"
    elif nanos % 1_000 == 0:
        fraction = f".{nanos // 1_000:06d}"
    else:
        fraction = f".{nanos:09d}"
    return f"{base}{fraction}+00:00"


def direct_handlers(coordinator: Any) -> DirectHandlers:
    """``coordinator``'s direct handlers (made and registered as its capability at first)."""
    found = coordinator.get_capability(CAPABILITY)
    if not isinstance(found, DirectHandlers):
        found = DirectHandlers(coordinator)
        coordinator.register_capability(CAPABILITY, found)
    return found


def register_direct(
    coordinator: Any, event: str, handler: Any, direct: Direct, *, priority: int, name: str
) -> Callable[[], None]:
    """Register ``handler`` with amplifier-core for ``event`` and ``direct`` as its short
    way (see the module docstring); returns a function that unregisters both."""
    unregister = coordinator.hooks.register(event, handler, priority=priority, name=name)
    if not hasattr(coordinator, "get_capability") or not hasattr(coordinator, "session_id"):
        return unregister  # not amplifier-core's coordinator: its emit only
    forget = direct_handlers(coordinator).add(event, name, priority, direct)

    def both() -> None:
        forget()
        unregister()

    return both


async def emit(coordinator: Any, event: str, data: dict[str, Any], hooks: Any = None) -> Any:
    """``hooks.emit(event, data)`` (``hooks`` defaults to ``coordinator.hooks``), the short
    way when nobody but the host's direct handlers listens (the module docstring)."""
    if hooks is None:
        hooks = getattr(coordinator, "hooks", None)
    if hooks is None:
        return HookResult()
    list_handlers = getattr(hooks, "list_handlers", None)
    if type(data) is not dict or list_handlers is None:
        return await hooks.emit(event, data)
    names = list_handlers(event).get(event) or []
    if not names:
        copy = dict(data)
        stamp_request_id(event, copy)
        await asyncio.sleep(0)
        return HookResult(data=copy)
    get_capability = getattr(coordinator, "get_capability", None)
    found = get_capability(CAPABILITY) if get_capability is not None else None
    if not isinstance(found, DirectHandlers):
        return await hooks.emit(event, data)
    calls = found.matching(event, names)
    if calls is None:
        return await hooks.emit(event, data)
    given = found.data(event, data)
    if given is None:
        return await hooks.emit(event, data)
    for call in calls:
        try:
            pending = call(event, given)
            if pending is not None:
                await pending
        except Exception as error:  # as amplifier-core: a handler's error is skipped
            logger.warning("hook handler failed on %s: %s", event, error)
    await asyncio.sleep(0)
    return HookResult(data=given)


def emitter(coordinator: Any, hooks: Any = None) -> Callable[[str, dict[str, Any]], Awaitable[Any]]:
    """:func:`emit` bound to ``coordinator`` (for what takes an ``emit(event, data)``)."""

    async def send(event: str, data: dict[str, Any]) -> Any:
        return await emit(coordinator, event, data, hooks)

    return send
