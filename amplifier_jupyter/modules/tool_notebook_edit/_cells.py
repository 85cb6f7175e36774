"""Which cell a tool call means: a cell id, ``above`` (the cell above the prompt), ``prompt``
(the running cell), or an execution count (``3``, ``[3]``, ``In [3]``), in the live notebook."""

from __future__ import annotations

import re
from typing import Any

from amplifier_jupyter.notebook_context.live import LiveCell, LiveNotebook

ABOVE = ("above", "the cell above", "previous")
PROMPT = ("prompt", "this prompt", "this cell")
_COUNT = re.compile(r"^(?:in\s*)?\[?\s*(\d+)\s*\]?$", re.IGNORECASE)
HOW = (
    "name a cell by its id (the notebook tool lists them), 'above' for the cell above this "
    "prompt, or an execution count such as 3"
)


class CellNotFound(ValueError):
    """The reference names no cell; the message says what to give instead."""


def anchor(notebook: LiveNotebook) -> str | None:
    """The prompt cell's id (the running ``%%amplifier`` cell), else the active cell's."""
    return notebook.running_cell_id or notebook.active_cell_id


def find_cell(notebook: LiveNotebook, ref: Any) -> LiveCell:
    """The cell ``ref`` names (see the module docstring)."""
    text = str(ref).strip() if ref is not None else ""
    if not text:
        raise CellNotFound(f"no cell given: {HOW}")
    found = notebook.cell(text)
    if found is not None:
        return found
    here = anchor(notebook)
    at = notebook.index(here) if here is not None else None
    lowered = text.lower()
    if lowered in PROMPT and at is not None:
        return notebook.cells[at]
    if lowered in ABOVE:
        if not at:
            raise CellNotFound("there is no cell above this prompt")
        return notebook.cells[at - 1]
    match = _COUNT.match(text) if not isinstance(ref, bool) else None
    if match is not None:
        by_count = notebook.by_count(int(match.group(1)))
        if by_count is not None:
            return by_count
        raise CellNotFound(f"no cell shows execution count [{match.group(1)}]: {HOW}")
    raise CellNotFound(f"no cell {text!r} in the notebook: {HOW}")


def describe(notebook: LiveNotebook, cell: LiveCell) -> str:
    """``code cell [3] (id ab12)``, ``markdown cell (id ab12)``, ``this prompt``."""
    if cell.id == notebook.running_cell_id:
        return "this prompt cell"
    count = f" [{cell.execution_count}]" if cell.execution_count is not None else ""
    return f"{cell.cell_type} cell{count} (id {cell.id})"
