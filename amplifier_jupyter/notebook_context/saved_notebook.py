"""The notebook as last saved: found through ``JPY_SESSION_NAME``, read as JSON, bounded.

jupyter-server tells a kernel which notebook it belongs to in the
``JPY_SESSION_NAME`` environment variable. The file holds what was last
saved: markdown and cells not yet run included, edits since the last save not.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amplifier_jupyter.notebook_context._text import cut, strip_ansi

NOTEBOOK_LIMIT = 30_000
CELL_SOURCE_LIMIT = 3_000
OUTPUT_LIMIT = 1_500


class NoSavedNotebook(LookupError):
    """No saved notebook can be found or read; the message says why."""


@dataclass
class SavedCell:
    """One cell of the saved file."""

    index: int
    cell_type: str
    source: str
    execution_count: int | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SavedNotebook:
    """The saved file's cells and when it was saved."""

    path: Path
    saved_at: float
    cells: list[SavedCell]

    def saved_when(self) -> str:
        """``saved 12:03`` today, else with the date."""
        stamp = time.localtime(self.saved_at)
        if time.strftime("%Y-%m-%d", stamp) == time.strftime("%Y-%m-%d"):
            return time.strftime("saved %H:%M", stamp)
        return time.strftime("saved %Y-%m-%d %H:%M", stamp)

    def code_cell(self, execution_count: int, source: str | None = None) -> SavedCell | None:
        """The code cell saved with this count (and this source, when given)."""
        for cell in self.cells:
            same_source = source is None or cell.source.strip() == source.strip()
            if cell.cell_type == "code" and cell.execution_count == execution_count and same_source:
                return cell
        return None


def notebook_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The saved notebook of this kernel, if jupyter-server named one that exists."""
    name = (os.environ if environ is None else environ).get("JPY_SESSION_NAME", "").strip()
    if not name or not name.endswith(".ipynb"):
        return None
    path = Path(name).expanduser()
    for candidate in (path, Path.cwd() / path, Path.cwd() / path.name):
        if candidate.is_file():
            return candidate
    return None


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def read_notebook(path: Path) -> SavedNotebook:
    """Read an ``.ipynb`` file (nbformat 4) without importing nbformat."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved_at = path.stat().st_mtime
    except (OSError, ValueError) as error:
        raise NoSavedNotebook(f"cannot read {path.name}: {error}") from None
    raw_cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(raw_cells, list) or not all(isinstance(c, dict) for c in raw_cells):
        raise NoSavedNotebook(f"cannot read {path.name}: it is not a notebook (no list of cells)")
    cells = []
    for index, raw in enumerate(raw_cells):
        cells.append(
            SavedCell(
                index=index,
                cell_type=str(raw.get("cell_type", "code")),
                source=_text(raw.get("source")),
                execution_count=raw.get("execution_count"),
                outputs=list(raw.get("outputs") or []),
            )
        )
    return SavedNotebook(path=path, saved_at=saved_at, cells=cells)


def render_outputs(
    outputs: list[dict[str, Any]],
    limit: int = OUTPUT_LIMIT,
    *,
    image_marker: Callable[[dict[str, Any]], str | None] | None = None,
) -> str:
    """Outputs (nbformat's shape) as text: streams, plain-text results, error lines; images
    named, or, with ``image_marker``, replaced by what it returns for their bundle."""
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(_text(output.get("text")))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data") or {}
            marked = image_marker(data) if image_marker is not None else None
            if marked is not None:
                parts.append(marked)
            elif "text/plain" in data:
                parts.append(_text(data["text/plain"]))
            else:
                parts.append("[" + ", ".join(sorted(data)) + "]")
        elif kind == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return cut(strip_ansi("\n".join(p.rstrip("\n") for p in parts if p)), limit)


def render_cells(
    cells: list[SavedCell], limit: int = NOTEBOOK_LIMIT, marks: dict[int, str] | None = None
) -> str:
    """Cells in order, with outputs trimmed, the whole bounded by ``limit`` (``marks``: a
    few words after a cell's header, by index)."""
    blocks = []
    for cell in cells:
        mark = f" ({marks[cell.index]})" if marks and cell.index in marks else ""
        if cell.cell_type == "code":
            count = cell.execution_count if cell.execution_count is not None else " "
            block = f"[{cell.index}] code, In [{count}]{mark}:\n```python\n"
            block += cut(cell.source, CELL_SOURCE_LIMIT) + "\n```"
            shown = render_outputs(cell.outputs)
            if shown:
                block += f"\noutput:\n{shown}"
        else:
            block = f"[{cell.index}] {cell.cell_type}{mark}:\n" + cut(
                cell.source, CELL_SOURCE_LIMIT
            )
        blocks.append(block)
    return cut("\n\n".join(blocks), limit) if blocks else "(the notebook has no cells)"


def render_notebook(notebook: SavedNotebook, limit: int = NOTEBOOK_LIMIT) -> str:
    """Every cell of the saved file in order, with outputs trimmed, bounded by ``limit``."""
    if not notebook.cells:
        return "(the saved notebook has no cells)"
    return render_cells(notebook.cells, limit)
