"""The images of one message: numbered in the order they are found, at most 20.

Each image gets a marker for the text (``[image 1: fig]``); the image blocks
follow the text in the same order. What could not be sent becomes a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.images.convert import NotAnImage, image_of_bundle, image_of_value
from amplifier_jupyter.images.fit import LeftOut, fit
from amplifier_jupyter.images.limits import MAX_IMAGES
from amplifier_jupyter.images.prompt_image import PromptImage


@dataclass
class ImageSet:
    """Images gathered for one message, with their notices."""

    limit: int = MAX_IMAGES
    images: list[PromptImage] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    origins: set[str] = field(default_factory=set)  # e.g. "saved notebook"
    markers: dict[str, str] = field(default_factory=dict)  # label -> marker: each sent once

    def add_bytes(self, data: bytes, label: str) -> str:
        """Add an image; returns the marker for the text (or a note saying why it is not sent)."""
        if len(self.images) >= self.limit:
            self.notices.append(
                f"{label}: not sent, over {self.limit} images in one message (narrow the request)"
            )
            return f"[image not sent: {label}, over {self.limit} images]"
        try:
            image = fit(data, label)
        except LeftOut as error:
            self.notices.append(str(error))
            return f"[image not sent: {label}]"
        self.images.append(image)
        return f"[image {len(self.images)}: {label}]"

    def add_value(self, value: Any, label: str) -> str:
        """Add a matplotlib Figure, PIL Image or image bytes (``convert.is_image_value``);
        the same label again (``{fig}`` twice, ``{fig}`` and ``--vars fig``) is the same image."""
        if label in self.markers:
            return self.markers[label]
        try:
            data = image_of_value(value)
        except Exception as error:  # the user's object: anything can raise
            self.notices.append(f"{label}: the image could not be made: {error}")
            return f"[image not sent: {label}]"
        self.markers[label] = self.add_bytes(data, label)
        return self.markers[label]

    def add_bundle(self, bundle: dict[str, Any], label: str) -> str | None:
        """Add the image of a MIME bundle; None when it holds none, else the marker or a line."""
        try:
            data = image_of_bundle(bundle)
        except NotAnImage as error:
            return f"[{error}]"
        if data is None:
            return None
        return self.add_bytes(data, label)

    def blocks(self) -> list[dict[str, Any]]:
        """The image blocks, in marker order."""
        return [image.block() for image in self.images]

    def sent_part(self) -> str:
        """``2 images (1200×800, 640×480)`` for the "sent:" line ("" with none)."""
        if not self.images:
            return ""
        count = len(self.images)
        sizes = ", ".join(image.size for image in self.images)
        origin = f", from the {' and '.join(sorted(self.origins))}" if self.origins else ""
        return f"{count} image{'s' if count > 1 else ''} ({sizes}{origin})"
