"""Copying messages: deep copies that are quick for the plain data messages are.

``copy.deepcopy`` walks every object in Python and keeps a memo of each; for a
conversation that is read several times a turn that cost grows with the whole
history. :mod:`marshal` copies plain data (dicts, lists, tuples, strings, numbers,
None, bytes, sets) in C, about ten times faster, keeping exact types and shared
references; it refuses anything else (subclasses too, such as enums or pydantic
models), and those messages are copied by ``copy.deepcopy`` as before. The bytes
never leave the process, so marshal's version-specific format does not matter.
"""

from __future__ import annotations

import copy
import marshal
from typing import Any


def copy_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy of ``messages``: nothing the caller can change is shared with them."""
    try:
        copied: list[dict[str, Any]] = marshal.loads(marshal.dumps(messages))
    except ValueError:  # something that is not plain data: copy message by message
        return [copy_message(m) for m in messages]
    return copied


def copy_message(message: Any) -> Any:
    """A deep copy of one message (see the module docstring)."""
    try:
        return marshal.loads(marshal.dumps(message))
    except ValueError:
        return copy.deepcopy(message)
