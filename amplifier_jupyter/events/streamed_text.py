"""The answer's text as it arrives, from a loop that streams or from one that does not.

A streaming provider sends ``content_block:delta`` pieces and then the block's
``content_block:end``; a loop that does not stream (upstream loop-basic) sends
only ``content_block:start`` / ``:end`` per block of the response, the whole
block in ``block`` (docs/design.md, fact 23). Both may come for one block, the
provider's and then the loop's. :class:`StreamedText` gives each text block's
characters once: the deltas, or else the finished block's text.
"""

from __future__ import annotations

from typing import Any

from amplifier_core.events import CONTENT_BLOCK_DELTA, CONTENT_BLOCK_END, PROVIDER_REQUEST


def _is_text(kind: Any) -> bool:
    return getattr(kind, "value", kind) in (None, "text")


class StreamedText:
    """New answer text in one session's events (see the module docstring)."""

    def __init__(self) -> None:
        # Blocks of the current model call whose text was already given.
        self._given: set[Any] = set()

    def take(self, event: str, data: dict[str, Any]) -> str:
        """The text ``event`` adds to the answer ('' when none)."""
        if event == PROVIDER_REQUEST:
            self._given.clear()
            return ""
        index = data.get("block_index", data.get("index"))
        if event == CONTENT_BLOCK_DELTA:
            if not _is_text(data.get("block_type", "text")):
                return ""
            self._given.add(index)
            return str(data.get("delta") or "")
        if event == CONTENT_BLOCK_END and index not in self._given:
            block = data.get("block")
            if not isinstance(block, dict) or not _is_text(block.get("type")):
                return ""
            self._given.add(index)
            return str(block.get("text") or "")
        return ""
