"""Which notebook cell is running: the id the frontend sends with each execution."""

from __future__ import annotations

from typing import Any


def current_cell_id(shell: Any) -> str | None:
    """The running cell's id, or None where the frontend sends none.

    ipykernel reads it from the request's ``metadata.cellId`` and hands it to
    ``run_cell`` (IPython's ``pre_run_cell`` sees it as ``info.cell_id``); the
    request is a context variable of the running cell, so the id read here is
    this cell's even while other cells' messages arrive.
    """
    kernel = getattr(shell, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    if get_parent is None:
        return None
    try:
        parent = get_parent("shell") or {}
    except Exception:
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    return str(cell_id) if cell_id else None
