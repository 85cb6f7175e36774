"""Exporting a transcript (``%amplifier save``): ``.md``, ``.json`` or ``.jsonl``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.redaction import redact
from amplifier_jupyter.transcripts.store import load_events, load_messages, load_metadata


def export_transcript(
    session_id: str,
    path: Path,
    root: Path | None = None,
    *,
    messages: list[dict[str, Any]] | None = None,
) -> str:
    """Write a session's transcript to ``path``; the format follows the suffix.

    ``.jsonl``: the messages; ``.json``: metadata, messages and events;
    ``.md``: the conversation as readable Markdown, its images written beside it
    (``NAME_images/image-1.png``, ...). ``messages``: a live
    session's conversation (also when transcripts are off). Returns a
    description.
    """
    metadata = load_metadata(session_id, root) or {"session_id": session_id}
    messages = load_messages(session_id, root) if messages is None else redact(messages)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        text = "".join(json.dumps(m) + "\n" for m in messages)
    elif suffix == ".json":
        events = load_events(session_id, root)
        text = json.dumps({"metadata": metadata, "messages": messages, "events": events}, indent=2)
    elif suffix == ".md":
        text = _markdown(metadata, messages, _ImageFiles(path))
    else:
        raise AmplifierUserError(
            f"cannot tell the format of {path.name!r}: save to a .md, .json or .jsonl file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"{len(messages)} messages"


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


class _ImageFiles:
    """Writes each image of a Markdown export to a folder beside it; returns its link."""

    def __init__(self, path: Path) -> None:
        self.folder = path.parent / f"{path.stem}_images"
        self.count = 0

    def __call__(self, block: dict[str, Any]) -> str:
        source = block.get("source") or {}
        try:
            data = base64.b64decode(str(source.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            return "*image (its data could not be read)*"
        self.count += 1
        name = f"image-{self.count}.{_EXTENSIONS.get(str(source.get('media_type')), 'png')}"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)
        return f"![image {self.count}]({self.folder.name}/{name})"


def _markdown(
    metadata: dict[str, Any],
    messages: list[dict[str, Any]],
    image: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    title = metadata.get("name") or metadata.get("session_id")
    lines = [f"# Amplifier session {title}", "", f"Session id: `{metadata.get('session_id')}`"]
    if metadata.get("parent_id"):
        lines.append(f"Parent: `{metadata['parent_id']}`")
    for message in messages:
        role = str(message.get("role", "?"))
        lines += ["", f"## {role}", "", content_text(message.get("content"), image)]
        for call in message.get("tool_calls") or []:
            arguments = json.dumps(call.get("arguments"))
            lines += ["", f"*tool call* `{call.get('tool')}`: `{arguments}`"]
    return "\n".join(lines) + "\n"


def content_text(content: Any, image: Callable[[dict[str, Any]], str] | None = None) -> str:
    """A message's content as Markdown text: text blocks, tool calls and results; no thinking.

    ``image``: what an image block becomes (a link to the file it wrote); else ``*image*``.
    """
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if not isinstance(block, dict):
            parts.append(str(block))
        elif block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            parts.append(f"*tool call* `{block.get('name')}`: `{json.dumps(block.get('input'))}`")
        elif block.get("type") == "tool_result":
            parts.append(f"*tool result*: {content_text(block.get('content'), image)}")
        elif block.get("type") == "image" and image is not None:
            parts.append(image(block))
        elif block.get("type") in ("thinking", "tool_call"):
            continue  # thinking stays private; tool calls are listed from tool_calls
        else:
            parts.append(f"*{block.get('type')}*")
    return "\n\n".join(parts)
