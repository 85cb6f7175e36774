"""Listing and reading the notebook's cells for the model."""

from __future__ import annotations

from typing import Any

from amplifier_core import ToolResult

from amplifier_jupyter.bridge import read_live
from amplifier_jupyter.modules._notebook_capability import failure, needs_a_notebook, notebook_shell
from amplifier_jupyter.notebook_context import (
    CellSpecError,
    LiveNotebook,
    cell_record,
    cut,
    executed_counts,
    gather,
    label,
    notebook_path,
    parse_cell_spec,
)

NO_NOTEBOOK = needs_a_notebook("notebook")
LIST_LIMIT = 8_000
LISTED_CELLS = 100
DEFAULT_READ = "-5:"
# The first line of a result: which notebook it read.
FROM_LIVE = "(from the live notebook through the bridge: unsaved edits and Markdown included)"
FROM_HISTORY = "(from the kernel's history: cells as they ran; no notebook bridge is connected)"


def _first_line(source: str, limit: int = 80) -> str:
    lines = [line for line in source.strip().splitlines() if line.strip()]
    if not lines:
        return "(empty)"
    first = lines[0] if len(lines[0]) <= limit else lines[0][: limit - 1] + "…"
    return first + (f"  (+{len(lines) - 1} lines)" if len(lines) > 1 else "")


class NotebookTool:
    """The ``notebook`` tool (see the package docstring)."""

    name = "notebook"
    read_only = True
    description = (
        "Look at the user's Jupyter notebook. action 'list' (default): one line per executed "
        "cell, by execution count [n], with what it returned or raised. action 'read': the "
        "cells named by 'cells' (execution counts: '3', '3-5', '3,7', '-2:' for the last two; "
        "default the last five) with source, printed output, result and error. Set 'saved' "
        "to true to read the notebook file as last saved instead: every cell in order, "
        "markdown and cells not yet run included (unsaved edits are not in it)."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["list", "read"]},
            "cells": {"type": "string", "description": "execution counts: 3, 3-5, 3,7, -2:"},
            "saved": {"type": "boolean", "description": "read the saved notebook file"},
        },
    }

    def __init__(self, coordinator: Any, config: dict[str, Any]) -> None:
        self.coordinator = coordinator

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        """List or read cells."""
        shell = notebook_shell(self.coordinator)
        if shell is None:
            return failure(NO_NOTEBOOK)
        if input.get("saved"):
            return self._saved(shell)
        action = input.get("action") or ("read" if input.get("cells") else "list")
        if action not in ("list", "read"):
            return failure(f"action must be 'list' or 'read', not {action!r}")
        try:
            spec = (
                parse_cell_spec(str(input.get("cells") or DEFAULT_READ))
                if action == "read"
                else None
            )
        except CellSpecError as error:
            return failure(str(error))
        live, unread = await read_live()
        if spec is None:
            text = self._list(shell) if live is None else _list_live(live)
        else:
            context = gather(shell, cells=spec, live=live)
            text = "\n\n".join(context.sections + context.notices) or "(no such cells have run)"
        head = [FROM_LIVE] if live is not None else [unread] if unread else [FROM_HISTORY]
        return ToolResult(success=True, output="\n".join([*head, text]))

    def _list(self, shell: Any) -> str:
        counts = executed_counts(shell)
        if not counts:
            return "(no cells have run in this kernel yet)"
        lines = []
        if len(counts) > LISTED_CELLS:
            lines.append(f"(the first {len(counts) - LISTED_CELLS} cells are not listed)")
        out = shell.user_ns.get("Out", {})
        for count in counts[-LISTED_CELLS:]:
            record = cell_record(shell, count)
            line = f"[{count}] {_first_line(record.source)}"
            if count in out:
                line += f"  -> {label(out[count])}"
            if record.error_name:
                line += f"  !! {record.error_name}"
            lines.append(line)
        if notebook_path() is not None:
            lines.append("(the saved notebook file can be read with saved: true)")
        return cut("\n".join(lines), LIST_LIMIT)

    def _saved(self, shell: Any) -> ToolResult:
        context = gather(shell, notebook=True)
        if not context.sections:
            return failure(" ".join(context.notices) or "no saved notebook file is known")
        return ToolResult(success=True, output=context.sections[0])


def _list_live(live: LiveNotebook) -> str:
    """One line per cell of the live notebook, in order: Markdown and cells not run too."""
    if not live.cells:
        return "(the notebook has no cells)"
    lines = []
    for index, cell in enumerate(live.cells[:LISTED_CELLS]):
        kind = cell.cell_type
        if kind == "code":
            count = cell.execution_count if cell.execution_count is not None else " "
            kind = f"code In [{count}]"
        mark = "  (this prompt)" if cell.id == live.running_cell_id else ""
        lines.append(f"[{index}] {kind}: {_first_line(cell.source)}{mark}  · id {cell.id}")
    if len(live.cells) > LISTED_CELLS:
        lines.append(f"(the last {len(live.cells) - LISTED_CELLS} cells are not listed)")
    return cut("\n".join(lines), LIST_LIMIT)
