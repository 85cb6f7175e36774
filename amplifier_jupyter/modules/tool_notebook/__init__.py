"""``tool-notebook``: the ``notebook`` tool, which lists and reads the notebook's cells.

It reads what the kernel knows (each executed cell's source, result, printed
output and error) and, where jupyter-server named the notebook file, the
notebook as last saved (markdown and cells not yet run included). It only
reads, so it declares ``read_only`` and runs without asking.

The shell comes from the coordinator capability ``notebook.shell``.
"""

from __future__ import annotations

from typing import Any

from ._tool import NotebookTool

__amplifier_module_type__ = "tool"
__all__ = ["NotebookTool", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the ``notebook`` tool."""
    tool = NotebookTool(coordinator, config or {})
    await coordinator.mount("tools", tool, name=tool.name)
