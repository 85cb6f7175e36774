"""Image blocks inside messages and events: finding them, adding them, leaving their data out."""

from __future__ import annotations

from typing import Any

OMITTED = "[image data omitted here: it is in messages.jsonl]"


def is_image_block(value: Any) -> bool:
    """An ``{"type": "image", "source": {"type": "base64", ...}}`` block."""
    return (
        isinstance(value, dict)
        and value.get("type") == "image"
        and isinstance(value.get("source"), dict)
        and value["source"].get("type") == "base64"
    )


def image_blocks(content: Any) -> list[dict[str, Any]]:
    """The base64 image blocks in a message's (or a tool result's) content list."""
    if not isinstance(content, list):
        return []
    return [block for block in content if is_image_block(block)]


def with_images(text: str, images: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Message content: ``text`` alone, or a text block followed by the image blocks."""
    if not images:
        return text
    return [{"type": "text", "text": text}, *images]


def without_data(block: dict[str, Any]) -> dict[str, Any]:
    """An image block (:func:`is_image_block`) with its base64 data replaced by a short note."""
    source = {k: v for k, v in block["source"].items() if k != "data"}
    return {**block, "source": {**source, "data": OMITTED}}


def omit_image_data(value: Any) -> Any:
    """A copy of ``value`` with every image block's base64 data replaced by a short note
    (events carry a tool's result; the image itself is stored once, with the messages)."""
    if is_image_block(value):
        return without_data(value)
    if isinstance(value, dict):
        return {k: omit_image_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [omit_image_data(v) for v in value]
    return value
