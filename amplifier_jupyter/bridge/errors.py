"""What can go wrong on the bridge, each as one line for the user (or the model)."""

from __future__ import annotations

from amplifier_jupyter.errors import AmplifierUserError

NOT_CONNECTED = (
    "no amplifier-jupyter notebook bridge is connected (it needs JupyterLab or Notebook 7 "
    "with the amplifier-jupyter lab extension)"
)


class BridgeError(AmplifierUserError):
    """A request the frontend could not carry out, or that never got an answer."""


class NotConnected(BridgeError):
    """No frontend has the bridge open."""

    def __init__(self) -> None:
        super().__init__(NOT_CONNECTED)


class BridgeTimeout(BridgeError):
    """The frontend did not answer in time (it may be closed, or busy)."""


class SourceChanged(BridgeError):
    """A replace found another source than the one it expected: nothing was changed.

    ``current`` is the cell's source as the frontend holds it now.
    """

    def __init__(self, cell_id: str, current: str) -> None:
        super().__init__(f"cell {cell_id} changed since it was read: nothing was replaced")
        self.cell_id = cell_id
        self.current = current
