"""Earlier cells as the kernel knows them: source, result, printed output, images, error.

IPython keeps each cell's raw source (``history_manager.input_hist_raw``),
its result (``Out``), and from IPython 9 its error and outputs
(``history_manager.exceptions`` / ``outputs``; display data only where it is
recorded: ``_ipython/display_history.py``). A cell's outputs come from the
first source that has them: the kernel's history, else the saved notebook
(IPython 8, or a cell run before the extension was loaded). With the live
notebook (read through the bridge), its outputs come first, and the cell's
Markdown notes above it and any edit since it ran are added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.images import ImageSet, is_image_value
from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT, cut
from amplifier_jupyter.notebook_context.live import LiveNotebook
from amplifier_jupyter.notebook_context.saved_notebook import SavedNotebook, render_outputs
from amplifier_jupyter.notebook_context.summaries import summarize
from amplifier_jupyter.notebook_context.tracebacks import format_stored

_NO_RESULT = object()
# The result comes from Out and the error has its own section.
_NOT_PRINTED = ("execute_result", "error")
# Where a cell's outputs come from: (count, source) -> (nbformat-style outputs, origin) or None.
# The origin is "" for the kernel itself, else what the "sent:" line names ("saved notebook").
OutputSource = Callable[[int, str], tuple[list[dict[str, Any]], str] | None]


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
    # From the live notebook: the Markdown cells right above, the source if edited since.
    notes: list[str] = field(default_factory=list)
    edited: str | None = None

    def render(self) -> str:
        """The cell as a prompt section."""
        parts = [f"Markdown above it:\n{note.rstrip()}" for note in self.notes]
        parts.append(f"In [{self.count}]:\n```python\n{self.source.rstrip()}\n```")
        if self.edited is not None:
            parts.append(
                f"edited since it ran (not run yet):\n```python\n{self.edited.rstrip()}\n```"
            )
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


def kernel_outputs(shell: Any) -> OutputSource:
    """The kernel's own record of a cell's printed output and display data (IPython 9+)."""

    def outputs_of(count: int, source: str) -> tuple[list[dict[str, Any]], str] | None:
        stored = getattr(getattr(shell, "history_manager", None), "outputs", None) or {}
        found: list[dict[str, Any]] = []
        for output in stored.get(count, []) if hasattr(stored, "get") else []:
            kind = getattr(output, "output_type", "")
            bundle = getattr(output, "bundle", {}) or {}
            if kind in ("out_stream", "err_stream"):
                found.append({"output_type": "stream", "text": "".join(bundle.get("stream", []))})
            elif kind == "display_data":
                found.append({"output_type": "display_data", "data": dict(bundle)})
        return (found, "") if found else None

    return outputs_of


def saved_outputs(saved: SavedNotebook) -> OutputSource:
    """The outputs the saved notebook holds for the cell with this count and source."""

    def outputs_of(count: int, source: str) -> tuple[list[dict[str, Any]], str] | None:
        cell = saved.code_cell(count, source)
        return (list(cell.outputs), "saved notebook") if cell is not None else None

    return outputs_of


def live_outputs(live: LiveNotebook) -> OutputSource:
    """The outputs the frontend shows for the cell with this count."""

    def outputs_of(count: int, source: str) -> tuple[list[dict[str, Any]], str] | None:
        cell = live.by_count(count)
        return (list(cell.outputs), "") if cell is not None and cell.outputs else None

    return outputs_of


def output_sources(
    shell: Any, saved: SavedNotebook | None, live: LiveNotebook | None = None
) -> list[OutputSource]:
    """The sources of a cell's outputs, best first."""
    sources = [] if live is None else [live_outputs(live)]
    sources.append(kernel_outputs(shell))
    if saved is not None:
        sources.append(saved_outputs(saved))
    return sources


def cell_record(
    shell: Any,
    count: int,
    saved: SavedNotebook | None = None,
    images: ImageSet | None = None,
    live: LiveNotebook | None = None,
) -> CellRecord:
    """Everything known about cell ``count``; with ``images``, its image outputs (and an
    image result) go there and the text gets their markers; with ``live``, its notes and
    edits too."""
    inputs = _raw_inputs(shell)
    source = inputs[count] if 0 < count < len(inputs) else ""
    record = CellRecord(count=count, source=cut(source, SUMMARY_LIMIT))
    out = shell.user_ns.get("Out", {}) if hasattr(shell, "user_ns") else {}
    value = out.get(count, _NO_RESULT) if hasattr(out, "get") else _NO_RESULT
    if value is not _NO_RESULT:
        if images is not None and is_image_value(value):
            record.result = images.add_value(value, f"cell {count} result")
        else:
            record.result = summarize(value)
    shown_now = live.by_count(count) if live is not None else None
    if live is not None and shown_now is not None:
        record.notes = [cut(n.source, SUMMARY_LIMIT) for n in live.notes_above(shown_now.id)]
        if shown_now.source.strip() != source.strip():
            record.edited = cut(shown_now.source, SUMMARY_LIMIT)
    for outputs_of in output_sources(shell, saved, live):
        found = outputs_of(count, source)
        if found is None:
            continue
        outputs, origin = found
        marker = _image_marker(images, count, origin)
        printed = [o for o in outputs if o.get("output_type") not in _NOT_PRINTED]
        shown = render_outputs(printed, image_marker=marker)
        if shown:
            record.output, record.output_from = shown, origin
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors:
            record.error = format_stored(errors[0])
            record.error_name = errors[0].get("ename")
        break
    stored = getattr(getattr(shell, "history_manager", None), "exceptions", None) or {}
    if count in stored:
        record.error = format_stored(stored[count])
        record.error_name = stored[count].get("ename")
    return record


def _image_marker(
    images: ImageSet | None, count: int, origin: str
) -> Callable[[dict[str, Any]], str | None] | None:
    """What an image output becomes in the text: its marker, once it is in ``images``."""
    if images is None:
        return None
    seen = [0]

    def marker(bundle: dict[str, Any]) -> str | None:
        label = f"cell {count} image {seen[0] + 1}"
        text = images.add_bundle(bundle, label)
        if text is not None:
            seen[0] += 1
            if origin and text.startswith("[image "):
                images.origins.add(origin)
        return text

    return marker
