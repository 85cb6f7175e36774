"""``context-notebook``: the conversation kept in memory, compacted to fit the model.

An ordinary Amplifier context manager. Messages are stored as plain dicts (the
shape every Amplifier orchestrator uses); before each request the oldest whole
turns are dropped when the conversation would not fit in the provider's
context window, so a tool call is never separated from its result.
"""

from __future__ import annotations

from typing import Any

from ._context import NotebookContext

__amplifier_module_type__ = "context"
__all__ = ["NotebookContext", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the in-memory context manager at the ``context`` mount point."""
    await coordinator.mount(
        "context", NotebookContext(config or {}, hooks=coordinator.hooks, coordinator=coordinator)
    )
