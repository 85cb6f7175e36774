"""Earlier cells as the kernel knows them: source, result, printed output, error.

IPython keeps each cell's raw source (``history_manager.input_hist_raw``),
its result (``Out``), and from IPython 9 its error and printed output
(``history_manager.exceptions`` / ``outputs``). Where the kernel kept no
printed output, the saved notebook's outputs for the same cell are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT, cut
from amplifier_jupyter.notebook_context.saved_notebook import (
    OUTPUT_LIMIT,
    SavedNotebook,
    render_outputs,
)
from amplifier_jupyter.notebook_context.summaries import summarize
from amplifier_jupyter.notebook_context.tracebacks import format_stored

_NO_RESULT = object()
# The result comes from Out and the error has its own section.
_NOT_PRINTED = ("execute_result", "error")


@dataclass
class CellRecord:
    """One executed cell, everything bounded."""

    count: int
    source: str
    result: str | None = None
    output: str | None = None
    output_from: str = ""
    error: str | None = None
    error_name: str | None = None

    def render(self) -> str:
        """The cell as a prompt section."""
        parts = [f"In [{self.count}]:\n```python\n{self.source.rstrip()}\n```"]
        if self.output:
            where = f" (from the {self.output_from})" if self.output_from else ""
            parts.append(f"printed output{where}:\n{self.output}")
        if self.result is not None:
            parts.append(f"Out [{self.count}]:\n{self.result}")
        if self.error:
            parts.append(f"error:\n{self.error}")
        return "\n".join(parts)


def _raw_inputs(shell: Any) -> list[str]:
    manager = getattr(shell, "history_manager", None)
    return list(getattr(manager, "input_hist_raw", None) or [""])


def current_count(shell: Any) -> int:
    """The execution count of the cell running now (its input is already stored)."""
    return max(len(_raw_inputs(shell)) - 1, 0)


def executed_counts(shell: Any) -> list[int]:
    """Counts of the cells executed before the current one."""
    inputs = _raw_inputs(shell)
    return [n for n in range(1, len(inputs) - 1) if inputs[n].strip()]


def _kernel_output(shell: Any, count: int) -> str:
    """What the cell printed and displayed, if this IPython keeps it (9+)."""
    outputs = getattr(getattr(shell, "history_manager", None), "outputs", None) or {}
    parts = []
    for output in outputs.get(count, []) if hasattr(outputs, "get") else []:
        kind = getattr(output, "output_type", "")
        bundle = getattr(output, "bundle", {}) or {}
        if kind in ("out_stream", "err_stream"):
            parts.append("".join(bundle.get("stream", [])))
        elif kind == "display_data":
            text = bundle.get("text/plain")
            parts.append(str(text) if text else "[" + ", ".join(sorted(bundle)) + "]")
    return cut("\n".join(p.rstrip("\n") for p in parts if p), OUTPUT_LIMIT)


def cell_record(shell: Any, count: int, saved: SavedNotebook | None = None) -> CellRecord:
    """Everything known about cell ``count``."""
    inputs = _raw_inputs(shell)
    source = inputs[count] if 0 < count < len(inputs) else ""
    record = CellRecord(count=count, source=cut(source, SUMMARY_LIMIT))
    out = shell.user_ns.get("Out", {}) if hasattr(shell, "user_ns") else {}
    value = out.get(count, _NO_RESULT) if hasattr(out, "get") else _NO_RESULT
    if value is not _NO_RESULT:
        record.result = summarize(value)
    record.output = _kernel_output(shell, count) or None
    if record.output:
        record.output_from = ""
    elif saved is not None:
        cell = saved.code_cell(count, source)
        if cell is not None:
            printed = [o for o in cell.outputs if o.get("output_type") not in _NOT_PRINTED]
            shown = render_outputs(printed)
            if shown:
                record.output, record.output_from = shown, "saved notebook"
            errors = [o for o in cell.outputs if o.get("output_type") == "error"]
            if errors:
                record.error = format_stored(errors[0])
                record.error_name = errors[0].get("ename")
    stored = getattr(getattr(shell, "history_manager", None), "exceptions", None) or {}
    if count in stored:
        record.error = format_stored(stored[count])
        record.error_name = stored[count].get("ename")
    return record
