"""``tool-python``: the ``python`` tool, which runs code in the user's Jupyter kernel.

The code runs in the user's namespace through the IPython shell, as a cell
would: what it prints and displays (plots included) also appears in the
notebook, and the tool returns what it printed, the value of the last
expression, or the exception. It changes the user's state, so it declares no
``read_only`` and the default approval policy asks before each run.

The shell comes from the coordinator capability ``notebook.shell`` (the
notebook host registers it); without it the tool says it needs a notebook.
Config: ``max_output`` (characters returned to the model, default 10,000).
"""

from __future__ import annotations

from typing import Any

from ._tool import PythonTool

__amplifier_module_type__ = "tool"
__all__ = ["PythonTool", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the ``python`` tool."""
    tool = PythonTool(coordinator, config or {})
    await coordinator.mount("tools", tool, name=tool.name)
