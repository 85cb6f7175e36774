"""Finding an image: in a kernel value (a matplotlib Figure, a PIL Image, PNG or JPEG bytes)
or in a MIME bundle (``image/png``, ``image/jpeg``; ``image/svg+xml`` rasterized where
cairosvg is installed).

Values are recognised by their type's module and name, so neither library is
imported for a value that is not theirs.
"""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from amplifier_jupyter.images.probe import media_type_of

_BUNDLE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class NotAnImage(ValueError):
    """An image output that cannot be sent; the message says what it was, in one line."""


def _kind(value: Any) -> tuple[str, str]:
    cls = type(value)
    return cls.__module__.split(".")[0], cls.__name__


def _is_figure(value: Any) -> bool:
    module, _ = _kind(value)
    return module == "matplotlib" and hasattr(value, "savefig") and hasattr(value, "canvas")


def _is_pil(value: Any) -> bool:
    module, _ = _kind(value)
    return module == "PIL" and hasattr(value, "save") and hasattr(value, "mode")


def is_image_value(value: Any) -> bool:
    """A value sent as an image: a matplotlib Figure, a PIL Image, PNG/JPEG bytes."""
    if isinstance(value, bytes | bytearray):
        return media_type_of(bytes(value[:16])) in ("image/png", "image/jpeg")
    return _is_figure(value) or _is_pil(value)


def image_of_value(value: Any) -> bytes:
    """The image bytes of a value for which :func:`is_image_value` holds."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    out = io.BytesIO()
    if _is_figure(value):
        # As the inline backend shows it: the figure's own dpi, tight bounding box.
        value.savefig(out, format="png", bbox_inches="tight")
        return out.getvalue()
    image = value
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    image.save(out, format="PNG")
    return out.getvalue()


def image_of_bundle(bundle: dict[str, Any]) -> bytes | None:
    """The image bytes of an output's MIME bundle; None when it holds no image.

    Raises :class:`NotAnImage` (one line) for an image that cannot be sent: an
    SVG with no rasterizer installed, data that is not base64.
    """
    for media_type in _BUNDLE_TYPES:
        if media_type in bundle:
            return _decoded(bundle[media_type], media_type)
    if "image/svg+xml" in bundle:
        return _rasterized(bundle["image/svg+xml"])
    return None


def _decoded(value: Any, media_type: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = "".join(value) if isinstance(value, list) else str(value)
    try:
        return base64.b64decode(text.strip(), validate=False)
    except (binascii.Error, ValueError):
        raise NotAnImage(f"an {media_type} output whose data is not base64") from None


def _rasterized(value: Any) -> bytes:
    svg = "".join(value) if isinstance(value, list) else str(value)
    try:
        import cairosvg
    except ImportError:
        raise NotAnImage(
            f"an SVG image ({len(svg):,} characters of SVG; not sent: no rasterizer, "
            "pip install cairosvg to send SVG images)"
        ) from None
    try:
        return bytes(cairosvg.svg2png(bytestring=svg.encode("utf-8")))
    except Exception as error:
        raise NotAnImage(f"an SVG image that could not be rasterized: {error}") from None
