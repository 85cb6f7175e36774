"""What differs between an unseen call and the nearest recorded one, in a few words."""

from __future__ import annotations

import json
from typing import Any

from amplifier_jupyter.replay.store import Record

SNIPPET = 60


def _snippet(value: Any) -> str:
    text = (
        value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    )
    text = " ".join(text.split())
    return repr(text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…")


def _message_text(message: Any) -> Any:
    if isinstance(message, dict):
        content = message.get("content")
        if isinstance(content, list):
            texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("text")]
            if texts:
                return " ".join(str(t) for t in texts)
        return content if content is not None else message
    return message


def _messages(form: dict[str, Any]) -> list[Any]:
    return list((form.get("request") or {}).get("messages") or [])


def _common_prefix(a: list[Any], b: list[Any]) -> int:
    count = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        count += 1
    return count


def _distance(form: dict[str, Any], record: Record) -> tuple[int, int]:
    """Fewer differing parts first, then a longer shared start of the conversation."""
    other = record.form
    parts = sum(form.get(name) != other.get(name) for name in ("provider", "config", "model"))
    request, recorded = form.get("request") or {}, other.get("request") or {}
    parts += sum(request.get(name) != recorded.get(name) for name in set(request) | set(recorded))
    return parts, -_common_prefix(_messages(form), _messages(other))


def difference(form: dict[str, Any], records: list[Record]) -> str:
    """``the nearest record (cell [3]) differs in …`` (or ``… is this conversation up to
    message 5; this call goes on …``), or ``nothing is on record``."""
    candidates = [r for r in records if r.form.get("provider") == form.get("provider")]
    if not candidates:
        return "nothing is on record for this provider" if records else "nothing is on record"
    record = min(candidates, key=lambda r: _distance(form, r))
    where = f" (cell [{record.cell}])" if record.cell is not None else ""
    other = record.form
    if form.get("model") != other.get("model"):
        change = f"the model: {form.get('model')!r}, recorded {other.get('model')!r}"
    elif form.get("config") != other.get("config"):
        keys = sorted(
            k
            for k in set(form.get("config") or {}) | set(other.get("config") or {})
            if (form.get("config") or {}).get(k) != (other.get("config") or {}).get(k)
        )
        change = f"the provider's config: {', '.join(keys)}"
    else:
        mine, theirs = _messages(form), _messages(other)
        shared = _common_prefix(mine, theirs)
        if shared == len(theirs) < len(mine):
            last = mine[-1]
            role = last.get("role", "?") if isinstance(last, dict) else "?"
            return (
                f"the nearest record{where} is this conversation up to message {shared}; "
                f"this call goes on to message {len(mine)} ({role}): "
                f"{_snippet(_message_text(last))}"
            )
        if shared < max(len(mine), len(theirs)):
            if shared < len(mine) and shared < len(theirs):
                role = mine[shared].get("role", "?") if isinstance(mine[shared], dict) else "?"
                change = (
                    f"message {shared + 1} ({role}): {_snippet(_message_text(mine[shared]))}, "
                    f"recorded {_snippet(_message_text(theirs[shared]))}"
                )
            else:
                change = f"the number of messages: {len(mine)}, recorded {len(theirs)}"
        else:
            request, recorded = form.get("request") or {}, other.get("request") or {}
            names = sorted(
                n for n in set(request) | set(recorded) if request.get(n) != recorded.get(n)
            )
            change = f"the request's {', '.join(names)}" if names else "nothing visible"
    return f"the nearest record{where} differs in {change}"
