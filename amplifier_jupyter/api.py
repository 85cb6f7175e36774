"""The small Python API next to the magics."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.session.kernel import kernel_session


async def get_session() -> Any:
    """The kernel's initialized :class:`amplifier_core.AmplifierSession` (created if needed)."""
    return await kernel_session().ensure_session()
