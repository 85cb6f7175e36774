"""The notebook as JupyterLab shows it now: every cell, unsaved edits included.

The lab extension sends it through the kernel–frontend bridge
(``amplifier_jupyter/bridge/``) in answer to a ``read`` request; this module
only holds the shape and reads it from the reply, checked, so that a frontend
of another version cannot hand the context gatherer anything unexpected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.notebook_context.saved_notebook import SavedCell, render_cells


class BadSnapshot(ValueError):
    """A ``read`` reply that is not a notebook; the message says what is wrong."""


@dataclass(frozen=True)
class LiveCell:
    """One cell as the frontend holds it."""

    id: str
    cell_type: str  # "code", "markdown" or "raw"
    source: str
    execution_count: int | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LiveNotebook:
    """The frontend's notebook: its cells in order, its path, the active and running cells."""

    path: str
    cells: list[LiveCell]
    active_cell_id: str | None = None
    running_cell_id: str | None = None
    client_id: str = ""

    @property
    def name(self) -> str:
        """The file name (``analysis.ipynb``), or ``notebook`` when the path is empty."""
        return self.path.rsplit("/", 1)[-1] or "notebook"

    def cell(self, cell_id: str) -> LiveCell | None:
        """The cell with this id."""
        return next((c for c in self.cells if c.id == cell_id), None)

    def index(self, cell_id: str) -> int | None:
        """The position of the cell with this id."""
        return next((i for i, c in enumerate(self.cells) if c.id == cell_id), None)

    def by_count(self, count: int) -> LiveCell | None:
        """The code cell that shows this execution count (the newest if several do)."""
        found = [c for c in self.cells if c.cell_type == "code" and c.execution_count == count]
        return found[-1] if found else None

    def notes_above(self, cell_id: str) -> list[LiveCell]:
        """The Markdown cells right above a cell (up to the code cell before them)."""
        at = self.index(cell_id)
        notes: list[LiveCell] = []
        for cell in reversed(self.cells[: at or 0]):
            if cell.cell_type != "markdown":
                break
            notes.insert(0, cell)
        return notes


def _cell(raw: Any, at: int) -> LiveCell:
    if not isinstance(raw, dict):
        raise BadSnapshot(f"cell {at} is not an object")
    cell_id, kind, source = raw.get("id"), raw.get("cell_type"), raw.get("source")
    if not isinstance(cell_id, str) or not isinstance(kind, str) or not isinstance(source, str):
        raise BadSnapshot(f"cell {at} lacks a string id, cell_type or source")
    count = raw.get("execution_count")
    outputs = raw.get("outputs")
    outputs = [] if outputs is None else outputs
    if not isinstance(outputs, list):
        raise BadSnapshot(f"cell {at}: outputs is not a list")
    return LiveCell(
        id=cell_id,
        cell_type=kind,
        source=source,
        execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        outputs=[o for o in outputs if isinstance(o, dict)],
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_snapshot(result: Any, running_cell_id: str | None = None) -> LiveNotebook:
    """A ``read`` reply's result as a :class:`LiveNotebook` (``running_cell_id``: the
    kernel's own knowledge of the running cell, which the frontend does not send)."""
    if not isinstance(result, dict) or not isinstance(result.get("cells"), list):
        raise BadSnapshot("the reply has no list of cells")
    cells = [_cell(raw, at) for at, raw in enumerate(result["cells"])]
    return LiveNotebook(
        path=str(result.get("path") or ""),
        cells=cells,
        active_cell_id=_text_or_none(result.get("active_cell_id")),
        running_cell_id=running_cell_id,
        client_id=str(result.get("client_id") or ""),
    )


def render_live(notebook: LiveNotebook) -> str:
    """Every cell in order as the frontend shows it, the running prompt and the active
    cell marked, outputs trimmed, the whole bounded."""
    cells = [
        SavedCell(i, c.cell_type, c.source, c.execution_count, c.outputs)
        for i, c in enumerate(notebook.cells)
    ]
    marks: dict[int, str] = {}
    for cell_id, mark in (
        (notebook.active_cell_id, "active"),
        (notebook.running_cell_id, "this prompt"),
    ):
        at = notebook.index(cell_id) if cell_id else None
        if at is not None:
            marks[at] = mark
    return render_cells(cells, marks=marks)
