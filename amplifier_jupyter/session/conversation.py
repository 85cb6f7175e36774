"""Reading a session's conversation for the host's own checks, without copying it."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.modules.context_notebook import NotebookContext


async def read_messages(context: Any) -> list[dict[str, Any]]:
    """The conversation, to read and never to change: context-notebook's own messages
    (its ``snapshot()``: a new list, the messages not copied), or ``get_messages()`` of
    any other context manager.

    For what the host compares, measures or hands back to ``set_messages`` (which
    copies) at every turn: a copy of the whole history each time made a long
    session's turns slower and slower.
    """
    if isinstance(context, NotebookContext):
        return context.snapshot()
    return list(await context.get_messages())
