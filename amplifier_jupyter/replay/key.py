"""A model call's key: what decides its answer, and nothing that varies between runs.

What enters it: the provider's module id, its config without the settings that only
say where and how to send (``api_key``, ``base_url``, timeouts, retries, streaming,
spending caps), the model the call goes to (the cell's ``--model``, else the
request's, else the provider's), and the request as the provider receives it
(``ChatRequest``: messages with the system prompt, tools, sampling settings) without
``conversation_id``, ``metadata``, ``stream`` and ``timeout``, and each message
without its ``metadata`` (the provider's account of the call that wrote it: request
id, latency). Images enter as the SHA-256 of their data, so a record does not repeat
them. In tool results (``tool`` messages and ``tool_result`` blocks), what differs
from run to run is replaced before it enters the key: object addresses
(``0x7f3a…``), paths under the temporary directory, UUIDs, ISO timestamps and
durations (``0.52 s``, ``120 ms``). The key is the SHA-256 of that form's JSON with
sorted keys.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from typing import Any

# Request fields that do not decide the answer.
REQUEST_FIELDS_LEFT_OUT = frozenset({"conversation_id", "metadata", "stream", "timeout"})
# Provider config keys that say where and how to send, not what.
CONFIG_KEYS_LEFT_OUT = frozenset(
    {
        "api_key",
        "base_url",
        "headers",
        "default_headers",
        "proxy",
        "timeout",
        "max_retries",
        "retries",
        "stream",
        "delta_interval",
        "max_cost_usd",
        "cache",
        "thinking_display",
        "debug",
        "raw_debug",
        "log_level",
        "ignored",
    }
)
_CONFIG_SUFFIXES_LEFT_OUT = ("_key", "_secret", "_password", "_token", "_url", "_timeout", "_delay")

_VARYING = (
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x…"),
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        "<uuid>",
    ),
    (
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"),
        "<timestamp>",
    ),
    (re.compile(r"\b\d+(\.\d+)?\s?(ms|µs|us|ns|s|sec|secs|seconds)\b"), "<duration>"),
)


def _temporary_paths() -> re.Pattern[str]:
    roots = {tempfile.gettempdir(), "/tmp", "/var/folders"}
    alternatives = "|".join(
        re.escape(root.rstrip("/")) for root in sorted(roots, key=len, reverse=True)
    )
    return re.compile(rf"(?:{alternatives})/[^\s'\"),\]]*")


_TEMPORARY = _temporary_paths()


def normalise_text(text: str) -> str:
    """``text`` of a tool result with what varies between runs replaced."""
    text = _TEMPORARY.sub("<tmp>", text)
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    return text


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    return value


def _digest(data: str) -> str:
    return "sha256:" + hashlib.sha256(data.encode()).hexdigest()


def _without_image_data(value: Any) -> Any:
    """Image (and other base64) sources as their digest."""
    if isinstance(value, list):
        return [_without_image_data(item) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "data" and isinstance(item, str) and value.get("type") == "base64":
                out[key] = _digest(item)
            else:
                out[key] = _without_image_data(item)
        return out
    return value


def _is_tool_result(message: dict[str, Any]) -> bool:
    return message.get("role") == "tool" or message.get("type") == "tool_result"


def _message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    # A message's metadata is the provider's account of the call (request id, latency).
    message = {key: value for key, value in message.items() if key != "metadata"}
    if _is_tool_result(message):
        return _normalised(message)
    content = message.get("content")
    if isinstance(content, list):
        blocks = [
            _normalised(block) if isinstance(block, dict) and _is_tool_result(block) else block
            for block in content
        ]
        return {**message, "content": blocks}
    return message


def provider_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The part of a provider's config that decides answers."""
    kept = {}
    for key, value in (config or {}).items():
        if key in CONFIG_KEYS_LEFT_OUT or key.endswith(_CONFIG_SUFFIXES_LEFT_OUT):
            continue
        kept[key] = value
    return kept


def as_json(value: Any) -> Any:
    """A pydantic model (or anything) as plain JSON data."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return json.loads(json.dumps(value, default=str))


def request_form(
    request: Any, *, module: str, config: dict[str, Any] | None, model: str | None
) -> dict[str, Any]:
    """What a call's key is made of (also kept in its record, to say what differs)."""
    data = as_json(request)
    body = {k: v for k, v in data.items() if k not in REQUEST_FIELDS_LEFT_OUT and k != "model"}
    body["messages"] = [_message(m) for m in body.get("messages") or []]
    kept_config = provider_config(config)
    return _without_image_data(
        {
            "provider": module,
            "config": kept_config,
            "model": model or data.get("model") or kept_config.get("model"),
            "request": body,
        }
    )


def key_of(form: dict[str, Any]) -> str:
    """The SHA-256 of the form's JSON (sorted keys)."""
    text = json.dumps(form, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
