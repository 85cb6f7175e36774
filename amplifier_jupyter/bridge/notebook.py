"""The operations on the live notebook, typed: read it, insert a cell, replace a cell's
source (compare-and-swap), queue a cell to run.

Each is one request to one tab (``requests.send_request``); the frontend applies
edits through the notebook's shared model, so undo, the dirty state and real-time
collaboration see them as a person's edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from amplifier_jupyter._ipython.shell import current_shell
from amplifier_jupyter.bridge.connections import CONNECTIONS
from amplifier_jupyter.bridge.errors import BridgeError, SourceChanged
from amplifier_jupyter.bridge.requests import Reply, refused, send_request
from amplifier_jupyter.notebook_context.cell_id import current_cell_id
from amplifier_jupyter.notebook_context.live import BadSnapshot, LiveNotebook, parse_snapshot

CellType = Literal["code", "markdown", "raw"]


@dataclass(frozen=True)
class InsertedCell:
    """Where a new cell went."""

    id: str
    index: int


def _result(op: str, reply: Reply) -> Any:
    if not reply.ok:
        raise refused(op, reply)
    return reply.result


class NotebookBridge:
    """The live notebook of the tab the bridge talks to (see ``bridge.current()``)."""

    def __init__(self, *, timeout: float | None = None) -> None:
        self.timeout = timeout

    @property
    def path(self) -> str:
        """The notebook's path as the chosen tab named it ("" when no tab is open)."""
        ranked = CONNECTIONS.ranked()
        return ranked[0].path if ranked else ""

    async def _ask(self, op: str, args: dict[str, Any] | None = None) -> Reply:
        _, reply = await send_request(op, args, timeout=self.timeout)
        return reply

    async def read(self) -> LiveNotebook:
        """Every cell as the frontend holds it (unsaved edits included), the active cell,
        and the running ``%%amplifier`` cell (the kernel's own knowledge of it)."""
        result = _result("read", await self._ask("read"))
        try:
            return parse_snapshot(result, running_cell_id=current_cell_id(current_shell()))
        except BadSnapshot as error:
            unreadable = f"the notebook frontend sent an unreadable notebook: {error}"
            raise BridgeError(unreadable) from None

    async def insert_cell(
        self,
        source: str,
        cell_type: CellType = "code",
        *,
        after: str | None = None,
        index: int | None = None,
    ) -> InsertedCell:
        """Insert a cell below the cell with id ``after``, or at ``index``, or (neither)
        below the running cell, else the active one; returns its id and position."""
        if cell_type not in ("code", "markdown", "raw"):
            raise BridgeError(f"cell_type must be code, markdown or raw, not {cell_type!r}")
        args: dict[str, Any] = {"cell_type": cell_type, "source": source}
        if after is None and index is None:
            after = current_cell_id(current_shell())
        if after is not None:
            args["after"] = after
        if index is not None:
            args["index"] = index
        result = _result("insert", await self._ask("insert", args))
        if not isinstance(result, dict) or not isinstance(result.get("id"), str):
            raise BridgeError("the notebook frontend did not say which cell it inserted")
        return InsertedCell(id=result["id"], index=int(result.get("index") or 0))

    async def replace_source(self, cell_id: str, source: str, *, expected: str) -> None:
        """Replace the cell's source, only if it is still ``expected``; else
        :class:`SourceChanged` carries the source the cell has now, and nothing changed."""
        reply = await self._ask(
            "replace", {"cell_id": cell_id, "source": source, "expected": expected}
        )
        if not reply.ok and reply.code == "changed":
            raise SourceChanged(cell_id, str((reply.error or {}).get("current") or ""))
        _result("replace", reply)

    async def queue_run(self, cell_id: str) -> str:
        """Queue the cell to run (after the running cell finishes); returns ``"queued"``."""
        result = _result("run", await self._ask("run", {"cell_id": cell_id}))
        return str(result or "queued")


async def read_live() -> tuple[LiveNotebook | None, str | None]:
    """The live notebook when a tab has the bridge open, else None; and, when an open
    bridge could not be read, one line saying so (the caller falls back to the kernel's
    history and the saved file)."""
    if not CONNECTIONS.ranked():
        return None, None
    try:
        return await NotebookBridge().read(), None
    except BridgeError as error:
        return None, f"{error}; the kernel's history and the saved notebook are used instead"
