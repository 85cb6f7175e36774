"""The notebook as context: interpolation, earlier cells, the last error, variables.

Pure logic over a namespace and an IPython shell; no widgets, no
amplifier_core. Used by the ``%%amplifier`` cell runner and by the built-in
notebook tools.
"""

from __future__ import annotations

from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT, cut
from amplifier_jupyter.notebook_context.cell_id import current_cell_id
from amplifier_jupyter.notebook_context.cellspec import (
    CellSpec,
    CellSpecError,
    describe_counts,
    parse_cell_spec,
)
from amplifier_jupyter.notebook_context.gather import GatheredContext, compose, gather
from amplifier_jupyter.notebook_context.history import (
    CellRecord,
    cell_record,
    current_count,
    executed_counts,
)
from amplifier_jupyter.notebook_context.interpolation import Interpolation, interpolate
from amplifier_jupyter.notebook_context.live import LiveCell, LiveNotebook, parse_snapshot
from amplifier_jupyter.notebook_context.prompt import PreparedPrompt, prepare_prompt
from amplifier_jupyter.notebook_context.references import UnresolvedReference, is_reference, resolve
from amplifier_jupyter.notebook_context.saved_notebook import (
    notebook_path,
    read_notebook,
    render_notebook,
)
from amplifier_jupyter.notebook_context.summaries import (
    label,
    list_variables,
    summarize,
    user_variables,
)
from amplifier_jupyter.notebook_context.tracebacks import format_exception, last_exception

__all__ = [
    "SUMMARY_LIMIT",
    "CellRecord",
    "CellSpec",
    "CellSpecError",
    "GatheredContext",
    "Interpolation",
    "LiveCell",
    "LiveNotebook",
    "PreparedPrompt",
    "UnresolvedReference",
    "cell_record",
    "compose",
    "current_cell_id",
    "current_count",
    "cut",
    "describe_counts",
    "executed_counts",
    "format_exception",
    "gather",
    "interpolate",
    "is_reference",
    "label",
    "last_exception",
    "list_variables",
    "notebook_path",
    "parse_cell_spec",
    "parse_snapshot",
    "prepare_prompt",
    "read_notebook",
    "render_notebook",
    "resolve",
    "summarize",
    "user_variables",
]
