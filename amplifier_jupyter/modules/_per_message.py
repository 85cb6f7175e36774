"""What is worked out from each message of a request, kept for the next request.

Every request of a conversation carries the whole history again, mostly the same
objects (context-notebook hands out its own message dicts; loop-notebook then
hands the provider the same ``Message`` models). :class:`PerMessage` works a
value out of each object once, keyed by the object's identity, and keeps only
the values of the latest request's objects; it holds the objects too, so an id
is not reused while its value is kept. An object that is new (a copy, a message
written since) gets its value worked out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PerMessage(Generic[T]):
    """``work(message)`` of each message, once per object (see the module docstring)."""

    def __init__(self, work: Callable[[Any], T]) -> None:
        self._work = work
        self._kept: dict[int, tuple[Any, T]] = {}

    def of(self, messages: Iterable[Any]) -> list[T]:
        """The value of each message, in order: kept from the last request, or worked out."""
        old, kept = self._kept, {}
        values = []
        for message in messages:
            entry = old.get(id(message))
            if entry is None or entry[0] is not message:
                entry = (message, self._work(message))
            kept[id(message)] = entry
            values.append(entry[1])
        self._kept = kept
        return values

    def forget(self) -> None:
        """Keep nothing (the messages come as copies: nothing would be found again)."""
        self._kept = {}
