"""Amplifier ``ChatRequest`` -> Messages API request, and API message -> ``ChatResponse``.

Request rules followed here (from the Messages API documentation):
system and developer text goes to the top-level ``system``; every
``tool_use`` is answered by a ``tool_result`` at the start of the very next
user message; thinking blocks are sent back unchanged with their signature;
text blocks are never empty; the first message is a user message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from amplifier_core import (
    ChatRequest,
    ChatResponse,
    Message,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolCallBlock,
    ToolSpec,
    Usage,
)

from amplifier_jupyter.modules._cancellation import MISSING_RESULT

from ._config import MIN_THINKING_BUDGET, Settings
from ._pricing import ModelSpec

EPHEMERAL = {"type": "ephemeral"}
# Block types that may carry cache_control (thinking blocks may not).
CACHEABLE = {"text", "image", "document", "tool_use", "tool_result"}
# Room left for the answer when a thinking budget has to raise max_tokens.
ANSWER_ROOM = 4_096
DEFAULT_MAX_TOKENS = 32_000
CONTINUATION = "(continuing an earlier conversation)"
# The API takes at most this many images in one request (amplifier_jupyter/images/limits.py);
# a longer conversation sends its newest, and a line of text in place of each older one.
MAX_IMAGES = 20
IMAGE_LEFT_OUT = "[an earlier image, left out: at most 20 images go in one request]"


@dataclass
class Repair:
    """One change made so the tool_use / tool_result sequence is valid."""

    tool_call_id: str
    tool_name: str | None
    action: str  # "added_error_result" | "converted_orphan_result"

    def as_dict(self) -> dict[str, Any]:
        """The event payload form."""
        return {
            "tool_call_id": self.tool_call_id,
            "tool_name": self.tool_name,
            "action": self.action,
        }


@dataclass
class ApiRequest:
    """What ``build_request`` produced: SDK keyword arguments and what it changed."""

    params: dict[str, Any]
    repairs: list[Repair]
    notes: list[str]


# -- content ---------------------------------------------------------------


def _field(block: Any, name: str, default: Any = None) -> Any:
    if isinstance(block, dict):
        return block.get(name, default)
    return getattr(block, name, default)


def _text(text: Any) -> dict[str, Any] | None:
    text = "" if text is None else str(text)
    return {"type": "text", "text": text} if text.strip() else None


def _image(source: Any) -> dict[str, Any] | None:
    if not isinstance(source, dict):
        return None
    source = dict(source)
    if "mime_type" in source and "media_type" not in source:
        source["media_type"] = source.pop("mime_type")
    if "type" not in source:
        source["type"] = "url" if "url" in source else "base64"
    return {"type": "image", "source": source}


def _stringify(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _result_content(content: Any) -> str | list[dict[str, Any]]:
    """A tool's output as tool_result content: a string, or text and image blocks."""
    if isinstance(content, list):
        blocks = []
        for item in content:
            kind = _field(item, "type")
            if kind == "text":
                block = _text(_field(item, "text"))
            elif kind == "image":
                block = _image(_field(item, "source"))
            else:
                block = _text(
                    _stringify(item.model_dump() if hasattr(item, "model_dump") else item)
                )
            if block:
                blocks.append(block)
        return blocks or "(no output)"
    text = _stringify(content) if content is not None else ""
    return text if text.strip() else "(no output)"


def _tool_result(tool_use_id: str, content: Any, is_error: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": tool_use_id,
        "content": _result_content(content),
    }
    if is_error:
        block["is_error"] = True
    return block


def _block_to_api(block: Any, role: str) -> dict[str, Any] | None:
    """One Amplifier content block as an API block (None: leave it out)."""
    kind = _field(block, "type")
    if kind == "text":
        return _text(_field(block, "text"))
    if kind == "image":
        return _image(_field(block, "source"))
    if kind == "thinking":
        signature = _field(block, "signature")
        # Unsigned thinking (another provider's, or a test's) cannot be replayed.
        if role != "assistant" or not signature:
            return None
        return {
            "type": "thinking",
            "thinking": _field(block, "thinking") or "",
            "signature": signature,
        }
    if kind == "redacted_thinking":
        return (
            {"type": "redacted_thinking", "data": _field(block, "data")}
            if role == "assistant"
            else None
        )
    if kind == "tool_call":
        return {
            "type": "tool_use",
            "id": _field(block, "id"),
            "name": _field(block, "name"),
            "input": dict(_field(block, "input") or {}),
        }
    if kind == "tool_result":
        return _tool_result(_field(block, "tool_call_id"), _field(block, "output"))
    return None  # reasoning blocks of other providers, unknown types


def _extra(message: Message, name: str) -> Any:
    extra = message.model_extra or {}
    return extra.get(name)


def _listed_tool_calls(message: Message) -> list[dict[str, Any]]:
    """The ``tool_calls`` list stored beside an assistant message's content, as tool_use blocks."""
    blocks = []
    for call in _extra(message, "tool_calls") or []:
        call = call if isinstance(call, dict) else getattr(call, "__dict__", {})
        function = call.get("function") or {}
        name = call.get("tool") or call.get("name") or function.get("name")
        arguments = call.get("arguments", call.get("input", function.get("arguments")))
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError:
                arguments = {"raw": arguments}
        if call.get("id") and name:
            blocks.append(
                {"type": "tool_use", "id": call["id"], "name": name, "input": dict(arguments or {})}
            )
    return blocks


def _message_blocks(message: Message) -> tuple[str, list[dict[str, Any]]]:
    """``(api role, blocks)`` of one non-system message."""
    if message.role in ("tool", "function"):
        is_error = bool(_extra(message, "is_error") or (message.metadata or {}).get("is_error"))
        tool_use_id = message.tool_call_id or _extra(message, "tool_use_id") or ""
        return "user", [_tool_result(tool_use_id, message.content, is_error)]
    role = "assistant" if message.role == "assistant" else "user"
    if isinstance(message.content, str):
        blocks = [b for b in [_text(message.content)] if b]
    else:
        blocks = [b for b in (_block_to_api(x, role) for x in message.content) if b]
    if role == "assistant":
        present = {b["id"] for b in blocks if b["type"] == "tool_use"}
        blocks += [b for b in _listed_tool_calls(message) if b["id"] not in present]
    return role, blocks


def _system_text(message: Message) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [b for b in [_text(message.content)] if b]
    return [b for b in (_text(_field(x, "text")) for x in message.content) if b]


# -- the conversation ------------------------------------------------------


def convert_messages(
    messages: list[Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Repair]]:
    """``(system blocks, API messages, repairs)`` for a stored conversation."""
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role in ("system", "developer"):
            system.extend(_system_text(message))
            continue
        role, blocks = _message_blocks(message)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)  # consecutive tool results, or user turns
        else:
            turns.append({"role": role, "content": blocks})
    repairs = _repair_tool_sequence(turns)
    for turn in turns:
        if turn["role"] == "user":
            # tool_result blocks must open the user message that answers the tool_use.
            turn["content"].sort(key=lambda b: b["type"] != "tool_result")
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [_text(CONTINUATION)]})
    return system, turns, repairs


def _repair_tool_sequence(turns: list[dict[str, Any]]) -> list[Repair]:
    """Answer every tool_use in the next user turn; turn orphan results into text."""
    repairs: list[Repair] = []
    index = 0
    open_calls: dict[str, str] = {}  # tool_use id -> name, of the assistant turn just before
    while index < len(turns):
        turn = turns[index]
        if turn["role"] == "assistant":
            if open_calls:  # an assistant turn after unanswered calls: answer them first
                turns.insert(index, {"role": "user", "content": []})
                continue
            open_calls = {b["id"]: b["name"] for b in turn["content"] if b["type"] == "tool_use"}
            index += 1
            if open_calls and index == len(turns):
                turns.append({"role": "user", "content": []})
            continue
        kept = []
        for block in turn["content"]:
            if block["type"] != "tool_result":
                kept.append(block)
            elif block["tool_use_id"] in open_calls:
                open_calls.pop(block["tool_use_id"])
                kept.append(block)
            else:
                repairs.append(Repair(block["tool_use_id"], None, "converted_orphan_result"))
                content = block["content"]
                text = content if isinstance(content, str) else _stringify(content)
                kept.append(
                    {"type": "text", "text": f"[tool result {block['tool_use_id']}] {text}"}
                )
        for call_id, name in open_calls.items():
            repairs.append(Repair(call_id, name, "added_error_result"))
            kept.append(_tool_result(call_id, MISSING_RESULT, is_error=True))
        open_calls = {}
        turn["content"] = kept
        index += 1
    return repairs


def bound_images(turns: list[dict[str, Any]], limit: int = MAX_IMAGES) -> int:
    """Keep the newest ``limit`` image blocks (in messages and tool results); each older
    one becomes a line of text. Returns how many were left out."""
    places: list[tuple[list[dict[str, Any]], int]] = []
    for turn in turns:
        for index, block in enumerate(turn["content"]):
            if block["type"] == "image":
                places.append((turn["content"], index))
            inner = block.get("content") if block["type"] == "tool_result" else None
            if isinstance(inner, list):
                places += [(inner, i) for i, b in enumerate(inner) if b.get("type") == "image"]
    older = places[: max(0, len(places) - limit)]
    for blocks, index in older:
        blocks[index] = {"type": "text", "text": IMAGE_LEFT_OUT}
    return len(older)


def convert_tools(tools: list[ToolSpec] | None) -> list[dict[str, Any]]:
    """Amplifier tool specs as API tool definitions."""
    converted = []
    for tool in tools or []:
        schema = dict(tool.parameters or {})
        schema.setdefault("type", "object")
        if schema["type"] == "object":
            schema.setdefault("properties", {})
        entry: dict[str, Any] = {"name": tool.name, "input_schema": schema}
        if tool.description:
            entry["description"] = tool.description
        converted.append(entry)
    return converted


def convert_tool_choice(
    choice: Any, spec: ModelSpec, notes: list[str], *, thinking: bool = False
) -> dict[str, Any] | None:
    """``auto`` / ``none`` / ``required`` / a tool name -> the API's ``tool_choice``.

    With ``thinking`` on, the API accepts only ``auto`` and ``none``.
    """
    if choice is None:
        return None
    if isinstance(choice, dict):
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        kind = str(choice.get("type", "tool" if name else "auto"))
    else:
        kind, name = str(choice), None
    kind = {"required": "any", "function": "tool"}.get(kind, kind)
    if kind not in ("auto", "none", "any", "tool"):
        kind, name = "tool", kind  # a bare tool name
    if kind in ("any", "tool") and not spec.forced_tool_choice:
        notes.append(f"{spec.id} rejects forced tool choice; sent tool_choice auto instead")
        return {"type": "auto"}
    if kind in ("any", "tool") and thinking:
        notes.append("thinking cannot be combined with a forced tool choice; sent tool_choice auto")
        return {"type": "auto"}
    return {"type": kind, "name": name} if kind == "tool" else {"type": kind}


def _mark_last(blocks: list[dict[str, Any]]) -> bool:
    for block in reversed(blocks):
        if block["type"] in CACHEABLE:
            block["cache_control"] = dict(EPHEMERAL)
            return True
    return False


def apply_cache(
    system: list[dict[str, Any]], tools: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> None:
    """Prompt caching: a breakpoint on the system prompt (or the tools) and the conversation tail.

    The cached prefix runs tools -> system -> messages, so the first breakpoint
    keeps the stable head and the second lets the next turn read all of this one.
    """
    if system:
        system[-1]["cache_control"] = dict(EPHEMERAL)
    elif tools:
        tools[-1]["cache_control"] = dict(EPHEMERAL)
    if messages:
        _mark_last(messages[-1]["content"])


# -- the request ------------------------------------------------------------


def _thinking(
    settings: Settings, spec: ModelSpec, max_tokens: int
) -> tuple[dict[str, Any] | None, int]:
    """``(thinking param or None, max_tokens)`` for the model's kind of thinking."""
    if settings.thinking is None:
        return None, max_tokens
    if not settings.thinking:
        if spec.thinking == "always" or not spec.thinking_off:
            return None, max_tokens
        return {"type": spec.thinking_off}, max_tokens
    if spec.thinking == "budget":
        budget = settings.thinking_budget_tokens
        if max_tokens <= budget:  # budget_tokens must stay below max_tokens
            max_tokens = min(budget + ANSWER_ROOM, spec.max_output_tokens)
            budget = max(MIN_THINKING_BUDGET, min(budget, max_tokens - ANSWER_ROOM))
        param: dict[str, Any] = {"type": "enabled", "budget_tokens": budget}
        if settings.thinking_display:
            param["display"] = settings.thinking_display
        return param, max_tokens
    # Adaptive models think as much as the effort asks; show a summary unless told not to.
    return {"type": "adaptive", "display": settings.thinking_display or "summarized"}, max_tokens


def build_request(
    request: ChatRequest, settings: Settings, model: str, spec: ModelSpec
) -> ApiRequest:
    """SDK keyword arguments for ``messages.create`` / ``messages.stream``."""
    notes: list[str] = []
    system, messages, repairs = convert_messages(request.messages)
    left_out = bound_images(messages)
    if left_out:
        notes.append(f"{left_out} earlier image(s) left out: at most {MAX_IMAGES} in a request")
    tools = convert_tools(request.tools)
    max_tokens = request.max_output_tokens or settings.max_tokens
    max_tokens = min(max_tokens or DEFAULT_MAX_TOKENS, spec.max_output_tokens)
    thinking, max_tokens = _thinking(settings, spec, max_tokens)
    if settings.cache:
        apply_cache(system, tools, messages)

    params: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": messages}
    if system:
        params["system"] = system
    if tools:
        params["tools"] = tools
        thinks = bool(thinking and thinking["type"] in ("enabled", "adaptive"))
        choice = convert_tool_choice(request.tool_choice, spec, notes, thinking=thinks)
        if choice:
            params["tool_choice"] = choice
    stops = list(request.stop or settings.stop_sequences)
    if stops:
        params["stop_sequences"] = stops
    if thinking:
        params["thinking"] = thinking
    effort = request.reasoning_effort or settings.effort
    if effort and spec.thinking != "budget":
        params["output_config"] = {"effort": effort}

    sampling: dict[str, Any] = {}
    temperature = request.temperature if request.temperature is not None else settings.temperature
    if temperature is not None:
        sampling["temperature"] = temperature
    if request.top_p is not None and temperature is None:
        sampling["top_p"] = request.top_p
    elif request.top_p is not None:
        # Models that take sampling parameters take temperature or top_p, not both.
        notes.append("temperature and top_p cannot both be sent; left out top_p")
    if sampling and not spec.sampling:
        notes.append(f"{spec.id} accepts no sampling parameters; left out {sorted(sampling)}")
    elif sampling and thinking and thinking["type"] == "enabled":
        notes.append("extended thinking needs the default temperature; left out sampling")
    elif sampling:
        # The SDK's signature has no sampling parameters: send them in the body.
        params["extra_body"] = sampling
    return ApiRequest(params, repairs, notes)


# -- the response -------------------------------------------------------------

BLOCK_TYPES = {
    "text": "text",
    "thinking": "thinking",
    "redacted_thinking": "thinking",
    "tool_use": "tool_call",
}


def block_type(api_type: str) -> str:
    """The ``content_block:*`` event's ``block_type`` for an API block type."""
    return BLOCK_TYPES.get(api_type, api_type)


def block_to_dict(block: Any) -> dict[str, Any]:
    """An API content block in Amplifier's stored form (``content_block:end``'s ``block``)."""
    kind = _field(block, "type")
    if kind == "text":
        return {"type": "text", "text": _field(block, "text") or ""}
    if kind == "thinking":
        return {
            "type": "thinking",
            "thinking": _field(block, "thinking") or "",
            "signature": _field(block, "signature"),
        }
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": _field(block, "data")}
    if kind == "tool_use":
        raw_input = _field(block, "input")
        return {
            "type": "tool_call",
            "id": _field(block, "id"),
            "name": _field(block, "name"),
            "input": dict(raw_input) if isinstance(raw_input, dict) else {},
        }
    dump = block.model_dump() if hasattr(block, "model_dump") else dict(block)
    return {"type": kind, **{k: v for k, v in dump.items() if k != "type"}}


def to_chat_response(message: Any, *, usage: Usage, metadata: dict[str, Any]) -> ChatResponse:
    """An API ``Message`` as a ``ChatResponse`` (server-side blocks are left out)."""
    content: list[Any] = []
    calls: list[ToolCall] = []
    for block in message.content:
        data = block_to_dict(block)
        kind = data["type"]
        if kind == "text":
            content.append(TextBlock(text=data["text"]))
        elif kind == "thinking":
            content.append(ThinkingBlock(thinking=data["thinking"], signature=data["signature"]))
        elif kind == "redacted_thinking":
            content.append(RedactedThinkingBlock(data=data["data"]))
        elif kind == "tool_call":
            content.append(ToolCallBlock(id=data["id"], name=data["name"], input=data["input"]))
            calls.append(ToolCall(id=data["id"], name=data["name"], arguments=data["input"]))
    return ChatResponse(
        content=content,
        tool_calls=calls or None,
        usage=usage,
        finish_reason=message.stop_reason,
        metadata=metadata,
    )
