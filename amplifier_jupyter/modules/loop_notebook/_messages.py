"""What the loop writes for the model: tool answers, ephemeral injections, answer text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amplifier_core import HookResult


def dump(value: Any) -> Any:
    """A pydantic model as a dict (``None`` fields left out); anything else as it is."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    return value


def text_of(content: Any) -> str:
    """The text blocks of a response's content, joined."""
    if isinstance(content, str):
        return content
    return "".join(
        getattr(b, "text", "") for b in content or [] if getattr(b, "type", "") == "text"
    )


def tool_output_text(result: Any) -> str:
    """What the model reads back from a tool's result."""
    if result is None:
        return ""
    success = getattr(result, "success", True)
    output = getattr(result, "output", result)
    if not success:
        error = getattr(result, "error", None) or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        text = message or (output if isinstance(output, str) else json.dumps(output, default=str))
        return f"Error: {text}"
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False, default=str)


def _as_the_hooks_copy(value: Any) -> Any:
    # amplifier-core 2.0.2 hands back a JSON copy of the event's data (str() for what
    # JSON cannot hold, large ints as floats): compare like with like.
    return json.loads(json.dumps(value, default=str), parse_int=float)


def tool_answer(result: Any, sent: Any, post: HookResult) -> str:
    """What the model reads for a tool call, given what ``tool:post`` answered.

    ``sent`` is the ``result`` the event carried. When the hooks hand back
    another ``result`` (a ``modify``), that is what the model reads: JSON for a
    dict or a list, else its ``str()``, as loop-basic gives it. Otherwise the
    tool's own result (:func:`tool_output_text`).
    """
    returned = post.data.get("result") if post.data is not None else None
    if returned is not None and _as_the_hooks_copy(returned) != _as_the_hooks_copy(sent):
        if isinstance(returned, dict | list):
            return json.dumps(returned, ensure_ascii=False, default=str)
        return str(returned)
    return tool_output_text(result)


@dataclass(frozen=True)
class Injection:
    """A hook's ephemeral ``inject_context``: in one request, never in the context."""

    role: str
    content: str
    append_to_last_tool_result: bool = False

    @classmethod
    def of(cls, result: HookResult) -> Injection | None:
        """The ephemeral injection a hook result asks for, if any."""
        if result.action != "inject_context" or not result.ephemeral:
            return None
        if not result.context_injection:
            return None
        return cls(
            result.context_injection_role,
            result.context_injection,
            bool(result.append_to_last_tool_result),
        )


def with_injections(
    messages: list[dict[str, Any]], injections: list[Injection]
) -> list[dict[str, Any]]:
    """A request's messages with ``injections`` added (a new list: the context is untouched).

    Each becomes a message of its own, or, when it asks and the last message is
    a tool result, is appended to that result's text.
    """
    sent = list(messages)
    for injection in injections:
        last = sent[-1] if sent else None
        if injection.append_to_last_tool_result and last is not None and last.get("role") == "tool":
            content = f"{last.get('content', '')}\n\n{injection.content}"
            sent[-1] = {**last, "content": content}
        else:
            sent.append({"role": injection.role, "content": injection.content})
    return sent
