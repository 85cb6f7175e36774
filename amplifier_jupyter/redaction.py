"""Redaction: what is written to a transcript or shown by the magics has no secret in it.

Secrets are known secret keys (amplifier-core's ``redact_secrets``) and key names
that say they hold one (``auth_token``, ``x-api-key``, ``clientSecret``), strings
that look like API keys or tokens, the quoted values of secret-named keys inside
text, and the values of secret-looking environment variables. What the magics
show goes through the same redaction (``ui.view.shown``, ``errors.one_line``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections.abc import Sequence
from typing import Any

REDACTED = "[REDACTED]"
_SECRET_PATTERNS = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}"
    r"|sk-[A-Za-z0-9_\-]{20,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{12,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|AKIA[0-9A-Z]{16}"
)
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
# Key names whose string values are secrets, beyond amplifier-core's exact list
# (``auth_token``, ``x-api-key``, ``clientSecret``); ``max_tokens`` and the like stay.
_SECRET_KEY = re.compile(
    r"(^|_)(api_?key|token|secret|password|passwd|private_?key|credentials?|authorization)$"
)
# A secret-named key with a quoted value inside text, as an error quoting a config has it:
# ``{'api_key': 'abc'}``, ``"token": "abc"``, ``password='abc'`` (the key is checked
# with ``_secret_key``). Possessive, and starting only at a word's start: linear time.
_KEYED_VALUE = re.compile(
    r"""(?<![\w\-])(?P<key>[A-Za-z][\w\-]*+)["']?\s*[:=]\s*(?P<quote>["'])(?P<value>[^"'\n]*+)(?P=quote)"""
)


def _read_secret_env_values() -> tuple[str, ...]:
    values = {
        value for name, value in os.environ.items() if _SECRET_ENV.search(name) and len(value) >= 8
    }
    # Longest first, so a value containing another is replaced whole.
    return tuple(sorted(values, key=len, reverse=True))


class _SecretEnvValues:
    """The values of secret-looking environment variables, read again only when the
    environment has changed, so a key set with ``%env`` mid-session is redacted too.

    Redaction runs on every event, streamed deltas included; reading the values
    decodes and matches every variable (about 100 µs for 40), while telling whether
    the environment changed is one comparison of ``os.environ``'s own mapping of
    encoded names and values (``_data``, CPython's) with a copy: under a microsecond.
    Where that mapping is missing, the values are read every time.
    """

    def __init__(self) -> None:
        self._cache: tuple[dict[Any, Any], tuple[str, ...]] | None = None

    def __call__(self) -> tuple[str, ...]:
        data = getattr(os.environ, "_data", None)
        cache = self._cache
        if cache is not None and data is not None and cache[0] == data:
            return cache[1]
        # Copied before reading: a change in between makes the next call read again.
        snapshot = dict(data) if isinstance(data, dict) else None
        values = _read_secret_env_values()
        if snapshot is not None:
            self._cache = (snapshot, values)
        return values


_secret_env_values = _SecretEnvValues()


def redact_text(text: str, env_values: Sequence[str] | None = None) -> str:
    """A string with API keys, tokens, secret environment values and the quoted values
    of secret-named keys (``'api_key': '...'``) replaced."""
    for value in _secret_env_values() if env_values is None else env_values:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _SECRET_PATTERNS.sub(REDACTED, text)
    if ":" not in text and "=" not in text:  # no key with a value to hide
        return text
    return _KEYED_VALUE.sub(_hide_keyed_value, text)


def _hide_keyed_value(match: re.Match[str]) -> str:
    if not match["value"] or not _secret_key(match["key"]):
        return match[0]
    start, end = (i - match.start() for i in match.span("value"))
    return match[0][:start] + REDACTED + match[0][end:]


def redact(value: Any, *, omit_images: bool = False) -> Any:
    """A JSON-able copy of ``value`` with every secret redacted (keys and strings).

    One walk: amplifier-core's exact names (``SENSITIVE_KEYS``, whatever the value)
    and ours (``_secret_key``, for strings) hide a value; every other string is
    redacted as text (``redact_text``). Plain JSON data is walked as it is; anything
    else (a model, a tuple, keys that are not strings) is first made JSON
    (``jsonable``), as a JSON round trip of the whole value did before.
    ``omit_images``: image blocks leave their base64 data out, in the same walk
    (``images.blocks.without_data``: what an event line keeps of an image).
    """
    from amplifier_core.utils import SENSITIVE_KEYS

    if omit_images:
        from amplifier_jupyter.images.blocks import is_image_block, without_data
    env_values = _secret_env_values()

    def strings(item: Any) -> Any:
        if isinstance(item, str):
            return redact_text(str(item), env_values)
        if isinstance(item, dict):
            if not all(type(k) is str for k in item):
                return strings(jsonable(item))  # its keys as JSON writes them
            if omit_images and is_image_block(item):
                item = without_data(item)
            if _is_image_block(item):
                # An image's base64 data holds no secret to find and is large: kept as it is.
                return item
            copy = {}
            for key, v in item.items():
                hidden = key.lower() in SENSITIVE_KEYS or (isinstance(v, str) and _secret_key(key))
                copy[key] = REDACTED if hidden else strings(v)
            return copy
        if isinstance(item, list):
            return [strings(v) for v in item]
        if item is None or type(item) in _JSON_NUMBERS:
            return item
        return strings(jsonable(item))  # a model, a tuple, a Decimal: as JSON has it

    return strings(value)


_JSON_NUMBERS = (bool, int, float)


def _is_image_block(item: dict[str, Any]) -> bool:
    source = item.get("source")
    return (
        item.get("type") == "image"
        and isinstance(source, dict)
        and source.get("type") == "base64"
        and set(source) <= {"type", "media_type", "data"}
        and set(item) <= {"type", "source", "cache_control"}
    )


@functools.lru_cache(maxsize=4096)
def _secret_key(name: str) -> bool:
    """Whether a key names a secret: ``auth_token``, ``x-api-key``, ``clientSecret``
    (remembered: the same few names come in every event)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
    return _SECRET_KEY.search(snake) is not None


def jsonable(value: Any) -> Any:
    """Plain JSON types for anything an event or a message may carry (models, Decimals)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        with contextlib.suppress(Exception):
            return dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)
