"""Bounding one image to the API's limits: downscaled with Pillow, else sent or left out.

With Pillow, an image over ``WORKING_SIDE`` px on its longest side (or over
5 MB) is scaled down to it. Without Pillow an image within the API's hard
limits is sent as it is (the API scales it), and one over them is left out
with a line that says so.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from amplifier_jupyter.images.limits import MAX_BYTES, MAX_SIDE, THUMBNAIL_SIDE, WORKING_SIDE
from amplifier_jupyter.images.probe import dimensions, media_type_of
from amplifier_jupyter.images.prompt_image import PromptImage

INSTALL_PILLOW = "install Pillow (pip install 'amplifier-jupyter[images]') to send it downscaled"


class LeftOut(ValueError):
    """The image cannot be sent; the message is the line for the user."""


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def fit(data: bytes, label: str = "") -> PromptImage:
    """An image within the limits from PNG, JPEG, GIF or WebP bytes; raises :class:`LeftOut`."""
    media_type = media_type_of(data)
    if media_type is None:
        raise LeftOut(f"{label or 'an image'}: not PNG, JPEG, GIF or WebP data")
    pillow = _pillow()
    size = dimensions(data)
    if size is None and pillow is not None:
        size = _pillow_size(pillow, data)
    if size is None:
        raise LeftOut(f"{label or 'an image'}: its size cannot be read; {INSTALL_PILLOW}")
    width, height = size
    if max(width, height) > WORKING_SIDE or len(data) > MAX_BYTES:
        if pillow is not None:
            data, media_type, (width, height) = _downscale(pillow, data, media_type)
        elif max(width, height) > MAX_SIDE or len(data) > MAX_BYTES:
            raise LeftOut(
                f"{label or 'an image'} ({width}×{height}, {_megabytes(len(data))}) left out: "
                f"over the API's {MAX_SIDE:,} px / 5 MB limit; {INSTALL_PILLOW}"
            )
    if len(data) > MAX_BYTES:
        raise LeftOut(
            f"{label or 'an image'} left out: {_megabytes(len(data))} even at "
            f"{width}×{height}, over the API's 5 MB limit"
        )
    thumbnail = _thumbnail(pillow, data) if pillow is not None else ""
    return PromptImage(data, media_type, width, height, label, thumbnail)


def _pillow_size(pillow: Any, data: bytes) -> tuple[int, int] | None:
    try:
        with pillow.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:
        return None


def _downscale(pillow: Any, data: bytes, media_type: str) -> tuple[bytes, str, tuple[int, int]]:
    """Scaled to ``WORKING_SIDE`` on its longest side; PNG stays PNG unless it is too big."""
    with pillow.open(io.BytesIO(data)) as image:
        image.load()
        image.thumbnail((WORKING_SIDE, WORKING_SIDE), pillow.Resampling.LANCZOS)
        keep_png = media_type == "image/png"
        out = io.BytesIO()
        if keep_png:
            image.save(out, format="PNG", optimize=True)
        if not keep_png or out.tell() > MAX_BYTES:
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=85)
            media_type = "image/jpeg"
        return out.getvalue(), media_type, (int(image.width), int(image.height))


def _thumbnail(pillow: Any, data: bytes) -> str:
    """A ``data:image/png;base64,...`` URI of at most ``THUMBNAIL_SIDE`` px, for the timeline."""
    try:
        with pillow.open(io.BytesIO(data)) as image:
            image.load()
            image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            out = io.BytesIO()
            image.save(out, format="PNG")
    except Exception:
        return ""
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
