"""One image as it is sent: its bytes, media type, size and what it is called in the text."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


@dataclass
class PromptImage:
    """An image within the API's limits, ready to send."""

    data: bytes
    media_type: str
    width: int
    height: int
    label: str = ""
    thumbnail: str = ""  # a data: URI of a small PNG, for the timeline ("" without Pillow)

    @property
    def size(self) -> str:
        """``1200×800``."""
        return f"{self.width}×{self.height}"

    def block(self) -> dict[str, Any]:
        """The image block of a message (amplifier-core's ``ImageBlock`` and the API's shape)."""
        return {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": self.media_type,
                "data": base64.b64encode(self.data).decode("ascii"),
            },
        }

    def summary(self) -> dict[str, Any]:
        """What a view shows of it: label, size and thumbnail (no image data)."""
        return {
            "label": self.label,
            "width": self.width,
            "height": self.height,
            "media_type": self.media_type,
            "thumbnail": self.thumbnail,
        }
