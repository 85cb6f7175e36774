"""pytest setup for the tutorial notebooks, which ``pytest --nbval`` runs cell by cell.

nbval sends each cell with ``store_history=False``, which no notebook frontend does:
JupyterLab and nbclient store every cell in the kernel's history, and the execution
counts advance. The tutorials use that history (``%%amplifier --cells``, the
``notebook`` tool, ``Cell In[n]`` in tracebacks), so here cells are sent as a
frontend sends them. Nothing else about nbval's run or comparison changes.
"""

from __future__ import annotations

from typing import Any

try:
    from nbval.kernel import RunningKernel
except ImportError:  # nbval is a test extra; without it nothing here applies
    RunningKernel = None


def _execute_as_a_frontend_does(self: Any, cell_input: str, allow_stdin: bool | None = None) -> str:
    """nbval's ``execute_cell_input``, with the history stored."""
    return self.kc.execute(
        cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
    )


if RunningKernel is not None:
    RunningKernel.execute_cell_input = _execute_as_a_frontend_does
