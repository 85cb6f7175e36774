"""What the built-in notebook tools share: the kernel's IPython shell, found through the
``notebook.shell`` capability the notebook host registers, and a failed tool result.

It imports nothing of the host (the magic, the panel): the tools stay ordinary
Amplifier modules that only say they need a notebook where there is none.
"""

from __future__ import annotations

from typing import Any

from amplifier_core import ToolResult

SHELL_CAPABILITY = "notebook.shell"


def notebook_shell(coordinator: Any) -> Any | None:
    """The IPython shell registered as ``notebook.shell``; None outside a notebook host."""
    getter = getattr(coordinator, "get_capability", None)
    return getter(SHELL_CAPABILITY) if getter is not None else None


def needs_a_notebook(tool_name: str) -> str:
    """The one line a tool returns when no notebook host registered the shell."""
    return (
        f"the {tool_name} tool needs a Jupyter kernel: it runs where amplifier_jupyter "
        f"registered the {SHELL_CAPABILITY} capability"
    )


def failure(message: str) -> ToolResult:
    """A failed tool result whose output and error both say ``message``."""
    return ToolResult(success=False, output=message, error={"message": message})
