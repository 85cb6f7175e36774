"""The user's variables, listed or inspected one at a time."""

from __future__ import annotations

from typing import Any

from amplifier_core import ToolResult

from amplifier_jupyter.modules._notebook_capability import failure, needs_a_notebook, notebook_shell
from amplifier_jupyter.notebook_context import (
    UnresolvedReference,
    label,
    list_variables,
    resolve,
    summarize,
)

NO_NOTEBOOK = needs_a_notebook("variables")


class VariablesTool:
    """The ``variables`` tool (see the package docstring)."""

    name = "variables"
    read_only = True
    description = (
        "The user's variables in their Jupyter kernel. Without 'name': every user variable "
        "with its type and a short view. With 'name' (a variable, or a path such as "
        "df.columns or cfg['lr']): a summary of that value — a DataFrame's shape, dtypes and "
        "head, an array's shape and statistics, a container's length and a sample. Reading "
        "only: nothing is run or changed."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "a variable name or name.attr / name[key]"}
        },
    }

    def __init__(self, coordinator: Any, config: dict[str, Any]) -> None:
        self.coordinator = coordinator

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        """List the variables, or summarize the one named."""
        shell = notebook_shell(self.coordinator)
        if shell is None:
            return failure(NO_NOTEBOOK)
        namespace = shell.user_ns
        name = str(input.get("name") or "").strip()
        if not name:
            hidden = getattr(shell, "user_ns_hidden", {})
            return ToolResult(success=True, output=list_variables(namespace, hidden))
        try:
            value = resolve(name, namespace)
        except UnresolvedReference as error:
            return failure(f"{name}: {error}")
        return ToolResult(success=True, output=f"{name} ({label(value)}):\n{summarize(value)}")
