"""``tool-variables``: the ``variables`` tool, which lists and inspects the user's variables.

Without a name it lists the user's variables (not modules, not IPython's
own) with their types and a short view; with a name (``df``, ``df.columns``,
``cfg['lr']``) it gives that value's bounded, type-aware summary. It only
reads, so it declares ``read_only`` and runs without asking.

The namespace comes from the coordinator capability ``notebook.shell``.
"""

from __future__ import annotations

from typing import Any

from ._tool import VariablesTool

__amplifier_module_type__ = "tool"
__all__ = ["VariablesTool", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the ``variables`` tool."""
    tool = VariablesTool(coordinator, config or {})
    await coordinator.mount("tools", tool, name=tool.name)
