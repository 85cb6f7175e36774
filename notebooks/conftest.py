"""pytest setup for the tutorial notebooks, which nbval runs cell by cell.

``python -m pytest`` runs them with the rest of the suite (pyproject's addopts
has ``--nbval``), and so does ``pytest --nbval notebooks/`` from any folder:

* the sanitizers in ``nbval_sanitize.cfg`` (session ids, timestamps) apply
  unless ``--nbval-sanitize-with`` names another file;
* the kernel is this Python (``--nbval-current-env``) unless
  ``--nbval-kernel-name`` names one.

nbval sends each cell with ``store_history=False``, which no notebook frontend
does: JupyterLab and nbclient store every cell in the kernel's history, and the
execution counts advance. The tutorials use that history (``%%amplifier
--cells``, the ``notebook`` tool, ``Cell In[n]`` in tracebacks), so here cells
are sent as a frontend sends them. Nothing else about nbval's run or comparison
changes.

A tutorial is a sequence: the random test order (pytest-randomly, in the test
extra) must not apply to its cells. The notebooks may come in any order, but
each one's cells run together and in the notebook's order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SANITIZERS = Path(__file__).with_name("nbval_sanitize.cfg")

try:
    from nbval.kernel import RunningKernel
    from nbval.plugin import IPyNbCell
except ImportError:  # nbval is a test extra; without it nothing here applies
    RunningKernel = IPyNbCell = None


def pytest_configure(config: pytest.Config) -> None:
    """Default the sanitizers and the kernel for nbval runs of this folder."""
    option = config.option
    if RunningKernel is None or not getattr(option, "nbval", False):
        return
    if option.nbval_sanitize_with is None:
        option.nbval_sanitize_with = str(SANITIZERS)
    if not option.nbval_kernel_name:
        option.nbval_current_env = True


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every notebook's cells back together and in order, where the shuffle left them.

    pytest-randomly reorders items in a hook wrapper, before this runs. The
    slots the cells occupy keep holding cells; they are refilled notebook by
    notebook (in the order each notebook first appears), cell by cell.
    """
    if IPyNbCell is None:
        return
    slots = [i for i, item in enumerate(items) if isinstance(item, IPyNbCell)]
    notebooks: dict[Any, list[Any]] = {}
    for i in slots:
        notebooks.setdefault(items[i].parent, []).append(items[i])
    cells = [c for group in notebooks.values() for c in sorted(group, key=lambda c: c.cell_num)]
    for i, cell in zip(slots, cells, strict=True):
        items[i] = cell


def _execute_as_a_frontend_does(self: Any, cell_input: str, allow_stdin: bool | None = None) -> str:
    """nbval's ``execute_cell_input``, with the history stored."""
    return self.kc.execute(
        cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
    )


if RunningKernel is not None:
    RunningKernel.execute_cell_input = _execute_as_a_frontend_does
