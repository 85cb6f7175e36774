"""``tool-notebook-edit``: the tools that write to the live notebook.

``notebook_insert`` (a new code or Markdown cell, below the prompt by default),
``notebook_edit`` (a cell's new source) and ``notebook_run`` (queue a cell to run
after the prompt). They go through the kernel–frontend bridge
(``amplifier_jupyter.bridge``), so each edit is an edit of JupyterLab's notebook
model: undo, the dirty state and collaborators see it as a person's. They
declare no ``read_only``: the approval policy asks before each call, and the
approval card shows what would change (``review``). Without a bridge
(nbclient, papermill, VS Code, a terminal) each answers
"no amplifier-jupyter notebook bridge is connected; nothing was changed".

Mountable in any plan: ``{"module": "tool-notebook-edit"}``.
"""

from __future__ import annotations

from typing import Any

from ._tools import NO_BRIDGE, EditTool, InsertTool, RunTool

__amplifier_module_type__ = "tool"
__all__ = ["NO_BRIDGE", "EditTool", "InsertTool", "RunTool", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount ``notebook_insert``, ``notebook_edit`` and ``notebook_run``."""
    for tool_class in (InsertTool, EditTool, RunTool):
        tool = tool_class(coordinator, config or {})
        await coordinator.mount("tools", tool, name=tool.name)
