"""The write tools: ``notebook_insert``, ``notebook_edit``, ``notebook_run``.

Each has ``review(input)``, which the approval hook calls before it asks
(``hooks_notebook_approval/_review.py`` is the protocol): what the call would
change, as data for the card (a title, lines marked added or removed, the
buttons and the decision each stands for). ``execute(input)`` then makes the
change through the bridge, reading back which button was clicked
(``approval.choice``): ``Accept and run`` queues the cell after writing it. An
edit is a compare-and-swap against the source the card showed, so a cell the
user changed meanwhile is never overwritten.
"""

from __future__ import annotations

from typing import Any

from amplifier_core import ToolResult

from amplifier_jupyter import bridge
from amplifier_jupyter.bridge.errors import BridgeError, SourceChanged
from amplifier_jupyter.modules._notebook_capability import failure
from amplifier_jupyter.notebook_context.live import LiveNotebook

from ._cells import HOW, CellNotFound, anchor, describe, find_cell
from ._diff import added_lines, counts, diff_lines, unified

NO_BRIDGE = "no amplifier-jupyter notebook bridge is connected; nothing was changed"
CHOICE_CAPABILITY = "approval.choice"
ACCEPT_AND_RUN = "Accept and run"
REJECTED = "the user rejected this change: the notebook was not changed"
QUEUED_NOTE = (
    "it runs after this prompt cell ends (the frontend runs one cell at a time), so its "
    "output is not here yet: read it on a later turn with the notebook tool"
)


def _options(run: bool, accept: str = "Accept") -> list[dict[str, str]]:
    options = [{"label": accept, "decision": "allow once"}]
    if run:
        options.append({"label": ACCEPT_AND_RUN, "decision": "allow once"})
    options += [
        {"label": "Reject", "decision": "deny"},
        {"label": "Allow always", "decision": "allow always"},
    ]
    return options


def _nothing(reason: str) -> dict[str, Any]:
    """A review of a call that changes nothing (its result will say why): no question."""
    return {"changes": False, "reason": reason}


class _WriteTool:
    """What the three tools share: the bridge, the choice made on the card."""

    name = ""

    def __init__(self, coordinator: Any, config: dict[str, Any]) -> None:
        self.coordinator = coordinator

    def _choice(self, tool_input: dict[str, Any]) -> dict[str, Any]:
        """The card's answer for this call ({label, decision, review}); {} when none was asked."""
        take = self.coordinator.get_capability(CHOICE_CAPABILITY)
        choice = take(self.name, tool_input) if take is not None else None
        return choice if isinstance(choice, dict) else {}

    async def _notebook(self) -> tuple[Any, LiveNotebook | None, str | None]:
        """The bridge and the live notebook; or why there is none (one line)."""
        live = bridge.current()
        if live is None:
            return None, None, NO_BRIDGE
        try:
            return live, await live.read(), None
        except BridgeError as error:
            return None, None, f"{error}; nothing was changed"

    async def review(self, tool_input: dict[str, Any]) -> dict[str, Any]:
        """What this call would change (see the module docstring)."""
        live, notebook, why = await self._notebook()
        if notebook is None:
            return _nothing(why or NO_BRIDGE)
        try:
            return self._review(notebook, tool_input)
        except CellNotFound as error:
            return _nothing(str(error))

    def _review(self, notebook: LiveNotebook, tool_input: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        """Make the change the card showed (or, with no card, the one asked for now)."""
        choice = self._choice(input)
        review = choice.get("review") or {}
        if choice and not review.get("changes", False):  # nobody was asked: change nothing
            return failure(str(review.get("reason") or NO_BRIDGE))
        live, notebook, why = await self._notebook()
        if live is None or notebook is None:
            return failure(why or NO_BRIDGE)
        try:
            if not review.get("changes", False):
                review = self._review(notebook, input)
            if not review.get("changes", False):
                return failure(str(review.get("reason") or "nothing to change"))
            return await self._apply(live, review, choice.get("label") == ACCEPT_AND_RUN)
        except CellNotFound as error:
            return failure(f"{error}; nothing was changed")
        except SourceChanged as changed:
            return failure(_changed_line(review, changed.current))
        except BridgeError as error:
            return failure(str(error))

    async def _apply(self, live: Any, review: dict[str, Any], run: bool) -> ToolResult:
        raise NotImplementedError


async def _queue(live: Any, cell_id: str, what: str) -> str:
    await live.queue_run(cell_id)
    return f"queued: {what} runs next; {QUEUED_NOTE}"


def _changed_line(review: dict[str, Any], current: str) -> str:
    what = review.get("what") or f"cell {review.get('cell_id')}"
    diff = unified(current, str(review.get("source") or ""), what)
    return (
        f"{what} changed after this edit was proposed: nothing was changed (the user's "
        f"version is kept). Its source now:\n```\n{current}\n```\nYour edit as a diff "
        f"against it:\n```diff\n{diff}\n```\nPropose the edit again if it still applies."
    )


class InsertTool(_WriteTool):
    """``notebook_insert``: a new code or Markdown cell, below the prompt by default."""

    name = "notebook_insert"
    description = (
        "Insert a new cell into the user's Jupyter notebook (the user reviews it first and "
        "may reject it, or accept and run it). 'source': the cell's text; 'cell_type': "
        "'code' (default) or 'markdown'; 'after': the cell to insert below — a cell id, "
        "'above' (the cell above this prompt) or an execution count; default: below this "
        "prompt cell. Returns the new cell's id."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "source": {"type": "string", "description": "the new cell's text"},
            "cell_type": {"type": "string", "enum": ["code", "markdown"]},
            "after": {"type": "string", "description": "cell id, 'above' or execution count"},
        },
        "required": ["source"],
    }

    def _review(self, notebook: LiveNotebook, tool_input: dict[str, Any]) -> dict[str, Any]:
        kind = tool_input.get("cell_type") or "code"
        if kind not in ("code", "markdown"):
            return _nothing(f"cell_type must be 'code' or 'markdown', not {kind!r}")
        source = tool_input.get("source")
        if not isinstance(source, str):
            return _nothing("source must be the new cell's text")
        after = tool_input.get("after")
        here = anchor(notebook)
        if after in (None, ""):
            if here is None:
                return _nothing(f"no prompt cell is known to insert below: {HOW}")
            below = notebook.cell(here)
        else:
            below = find_cell(notebook, after)
        where = describe(notebook, below) if below is not None else "this prompt cell"
        lines = added_lines(source)
        return {
            "changes": True,
            "title": f"insert a {kind} cell below {where}",
            "lines": lines,
            "options": _options(run=kind == "code"),
            "rejected": REJECTED,
            "after": below.id if below is not None else here,
            "cell_type": kind,
            "source": source,
            "where": where,
        }

    async def _apply(self, live: Any, review: dict[str, Any], run: bool) -> ToolResult:
        cell = await live.insert_cell(
            review["source"], review["cell_type"], after=review.get("after")
        )
        text = (
            f"inserted {review['cell_type']} cell {cell.id} at position {cell.index} "
            f"(below {review['where']})"
        )
        if run:
            text += "; " + await _queue(live, cell.id, "it")
        return ToolResult(success=True, output=text)


class EditTool(_WriteTool):
    """``notebook_edit``: a cell's new source, reviewed as a diff."""

    name = "notebook_edit"
    description = (
        "Replace the source of a cell of the user's Jupyter notebook (the user reviews the "
        "change as a diff and may reject it, or accept and run it). 'cell': a cell id, "
        "'above' (the cell above this prompt) or an execution count; 'source': the cell's "
        "whole new text. If the user changed the cell meanwhile, nothing is changed and "
        "the result shows the cell's source now."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "cell": {"type": "string", "description": "cell id, 'above' or execution count"},
            "source": {"type": "string", "description": "the cell's whole new text"},
        },
        "required": ["cell", "source"],
    }

    def _review(self, notebook: LiveNotebook, tool_input: dict[str, Any]) -> dict[str, Any]:
        source = tool_input.get("source")
        if not isinstance(source, str):
            return _nothing("source must be the cell's whole new text")
        cell = find_cell(notebook, tool_input.get("cell"))
        what = describe(notebook, cell)
        if cell.source == source:
            return _nothing(f"{what} has this source already: nothing to change")
        lines = diff_lines(cell.source, source)
        added, removed = counts(lines)
        return {
            "changes": True,
            "title": f"edit {what}: +{added} −{removed} lines",
            "lines": lines,
            "options": _options(run=cell.cell_type == "code"),
            "rejected": REJECTED,
            "cell_id": cell.id,
            "expected": cell.source,
            "source": source,
            "what": what,
        }

    async def _apply(self, live: Any, review: dict[str, Any], run: bool) -> ToolResult:
        await live.replace_source(review["cell_id"], review["source"], expected=review["expected"])
        text = f"edited {review['what']}"
        if run:
            text += "; " + await _queue(live, review["cell_id"], "it")
        return ToolResult(success=True, output=text)


class RunTool(_WriteTool):
    """``notebook_run``: queue a cell to run after the prompt cell."""

    name = "notebook_run"
    description = (
        "Queue a cell of the user's Jupyter notebook to run (the user approves it first). "
        "'cell': a cell id, 'above' (the cell above this prompt) or an execution count. "
        "It runs after this prompt cell ends, so this returns 'queued' and its output is "
        "read on a later turn with the notebook tool."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "cell": {"type": "string", "description": "cell id, 'above' or execution count"},
        },
        "required": ["cell"],
    }

    def _review(self, notebook: LiveNotebook, tool_input: dict[str, Any]) -> dict[str, Any]:
        cell = find_cell(notebook, tool_input.get("cell"))
        if cell.id == notebook.running_cell_id:
            return _nothing("this prompt cell is running already: name another cell")
        what = describe(notebook, cell)
        return {
            "changes": True,
            "title": f"run {what} after this prompt",
            "lines": [(" ", line) for line in cell.source.splitlines()],
            "options": _options(run=False, accept="Run"),
            "rejected": "the user did not let the cell run: nothing was run",
            "cell_id": cell.id,
            "what": what,
        }

    async def _apply(self, live: Any, review: dict[str, Any], run: bool) -> ToolResult:
        return ToolResult(
            success=True, output=await _queue(live, review["cell_id"], review["what"])
        )
