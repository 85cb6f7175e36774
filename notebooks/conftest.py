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
are sent as a frontend sends them. nbval also ignores ``update_display_data``,
which every frontend (JupyterLab, nbclient) applies: the panel replaces its live
widget with its summary that way, so here an update replaces the data of the
output it names, as there. nbval sanitizes only string outputs; a JSON output (the
summary a run leaves as data for the lab extension, ``ui/summary.py``) gets the same
sanitizers on each of its strings. Nothing else about nbval's run or comparison changes.

A tutorial is a sequence: the random test order (pytest-randomly, in the test
extra) must not apply to its cells. The notebooks may come in any order, but
each one's cells run together and in the notebook's order.
"""

from __future__ import annotations

from collections import deque
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


# nbval copies an output's data when it stores it (NotebookNode), so an update cannot be
# applied to what it stored: the messages of a cell that showed a display with an id are
# held back until the cell is idle, the updates applied to them, then handed on in order.
_ready: deque[dict[str, Any]] = deque()


def _get_message_updating_displays(self: Any, stream: str, timeout: float | None = None) -> Any:
    """nbval's ``get_message``, with ``update_display_data`` applied as a frontend does."""
    if stream != "iopub":
        return _get_message(self, stream, timeout=timeout)
    if _ready:
        return _ready.popleft()
    msg = _get_message(self, stream, timeout=timeout)
    content = msg.get("content") or {}
    display_id = (content.get("transient") or {}).get("display_id")
    if not (display_id and msg["msg_type"] in ("display_data", "execute_result")):
        return msg
    parent = msg["parent_header"].get("msg_id")
    held = [msg]
    shown = {display_id: msg}
    while True:
        later = _get_message(self, stream, timeout=timeout)
        later_content = later.get("content") or {}
        later_id = (later_content.get("transient") or {}).get("display_id")
        if later["msg_type"] == "update_display_data" and later_id in shown:
            shown[later_id]["content"]["data"] = later_content["data"]
            continue
        if later_id and later["msg_type"] in ("display_data", "execute_result"):
            shown[later_id] = later
        held.append(later)
        idle = later["msg_type"] == "status" and later_content.get("execution_state") == "idle"
        if idle and later["parent_header"].get("msg_id") == parent:
            break
    _ready.extend(held[1:])
    return held[0]


def _sanitize_json_too(self: Any, value: Any) -> Any:
    """nbval's ``sanitize``, applied to every string inside a JSON output as well."""
    if isinstance(value, dict):
        return {key: _sanitize_json_too(self, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_sanitize_json_too(self, item) for item in value]
    return _sanitize(self, value)


if RunningKernel is not None:
    _sanitize = IPyNbCell.sanitize
    IPyNbCell.sanitize = _sanitize_json_too
    RunningKernel.execute_cell_input = _execute_as_a_frontend_does
    _get_message = RunningKernel.get_message
    RunningKernel.get_message = _get_message_updating_displays
