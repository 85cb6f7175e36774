"""Edit and re-run: which conversation turn each ``%%amplifier`` cell produced.

Re-running a cell whose turn is still the latest replaces that turn (the user
edited the prompt to refine it); when later turns exist, the run appends.
Cells are known by the id the frontend sends with each execution.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

from amplifier_jupyter.session.conversation import read_messages

RerunKind = Literal["new", "replace", "append"]


@dataclass
class CellTurn:
    """Where a cell's turn sits in the conversation: ``messages[start:end]``."""

    start: int
    end: int
    opening: dict[str, Any]  # the turn's first message, to recognise it later
    completed: bool


class CellTurns:
    """Cell id -> the latest turn that cell produced."""

    def __init__(self) -> None:
        self.turns: dict[str, CellTurn] = {}

    def kind(self, cell_id: str | None, messages: list[dict[str, Any]]) -> RerunKind:
        """What running this cell now does: a new turn, a replacement, or an append."""
        turn = self.turns.get(cell_id) if cell_id else None
        if turn is None:
            return "new"
        still_there = len(messages) >= turn.end and messages[turn.start] == turn.opening
        if not still_there:  # reset, resumed or compacted since: the old turn is gone
            return "new"
        return "replace" if len(messages) == turn.end else "append"

    def record(
        self, cell_id: str | None, start: int, messages: list[dict[str, Any]], completed: bool
    ) -> None:
        """Remember the turn a run of this cell left at ``messages[start:]``."""
        if not cell_id:
            return
        if len(messages) <= start:  # nothing stayed in the conversation (rolled back)
            self.turns.pop(cell_id, None)
            return
        self.turns[cell_id] = CellTurn(
            start, len(messages), copy.deepcopy(messages[start]), completed
        )

    def clear(self) -> None:
        """Forget every cell (a new session)."""
        self.turns.clear()

    async def rewind(self, context: Any, cell_id: str | None) -> tuple[int, bool]:
        """Before a run: drop this cell's turn if it is the latest.

        Returns where the new turn starts in the conversation, and whether a
        completed turn was dropped (the session's turn count goes down by one).
        """
        if context is None:
            return 0, False
        messages = await read_messages(context)
        if self.kind(cell_id, messages) != "replace":
            return len(messages), False
        turn = self.turns.pop(cell_id)  # type: ignore[arg-type]
        await context.set_messages(messages[: turn.start])
        return turn.start, turn.completed

    async def after_run(
        self, context: Any, cell_id: str | None, start: int, completed: bool
    ) -> None:
        """After a run (finished, stopped or failed): remember what it left."""
        if context is not None and cell_id:
            self.record(cell_id, start, await read_messages(context), completed)
