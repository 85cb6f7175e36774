"""The kernel–frontend bridge: the kernel reads and edits the live notebook.

The lab extension (``labextension/src/bridge.ts``) opens a comm with the
target ``amplifier_jupyter.bridge`` for each notebook tab whose kernel has the
extension loaded; ``%load_ext`` registers the target (``install``). Without a
tab (nbclient, papermill, a terminal, JupyterLab without the extension)
``current()`` is None and nothing here is used.

    bridge = amplifier_jupyter.bridge.current()
    if bridge is not None:
        notebook = await bridge.read()
        cell = await bridge.insert_cell("print(1)", after=notebook.running_cell_id)
        await bridge.queue_run(cell.id)

Only the comm registry is imported by ``%load_ext`` (it is small); the
operations load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from amplifier_jupyter.bridge.connections import CONNECTIONS, TARGET, install, uninstall

if TYPE_CHECKING:
    from amplifier_jupyter.bridge.errors import (
        NOT_CONNECTED,
        BridgeError,
        BridgeTimeout,
        NotConnected,
        SourceChanged,
    )
    from amplifier_jupyter.bridge.notebook import (
        CellType,
        InsertedCell,
        NotebookBridge,
        read_live,
    )

_LAZY = {
    "NOT_CONNECTED": "amplifier_jupyter.bridge.errors",
    "BridgeError": "amplifier_jupyter.bridge.errors",
    "BridgeTimeout": "amplifier_jupyter.bridge.errors",
    "NotConnected": "amplifier_jupyter.bridge.errors",
    "SourceChanged": "amplifier_jupyter.bridge.errors",
    "CellType": "amplifier_jupyter.bridge.notebook",
    "InsertedCell": "amplifier_jupyter.bridge.notebook",
    "NotebookBridge": "amplifier_jupyter.bridge.notebook",
    "read_live": "amplifier_jupyter.bridge.notebook",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'amplifier_jupyter.bridge' has no attribute {name!r}")


def connected() -> bool:
    """Whether any notebook tab has the bridge open."""
    return bool(CONNECTIONS.ranked())


def current() -> NotebookBridge | None:
    """The bridge to the live notebook, or None when no tab has it open."""
    if not connected():
        return None
    from amplifier_jupyter.bridge.notebook import NotebookBridge

    return NotebookBridge()


__all__ = [
    "NOT_CONNECTED",
    "TARGET",
    "BridgeError",
    "BridgeTimeout",
    "CellType",
    "InsertedCell",
    "NotConnected",
    "NotebookBridge",
    "SourceChanged",
    "connected",
    "current",
    "install",
    "read_live",
    "uninstall",
]
