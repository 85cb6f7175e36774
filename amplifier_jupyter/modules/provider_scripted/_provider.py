"""The scripted provider: replies from a list, streamed like a real model."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from decimal import Decimal
from typing import Any

from amplifier_core import (
    ChatRequest,
    ChatResponse,
    ModelInfo,
    ProviderInfo,
    TextBlock,
    ThinkingBlock,
    ToolCall,
    ToolCallBlock,
    Usage,
)
from amplifier_core.events import LLM_REQUEST, LLM_RESPONSE
from amplifier_core.llm_errors import AbortError, InvalidRequestError

from amplifier_jupyter.modules._cancellation import is_cancelled
from amplifier_jupyter.modules._config_values import flag, seconds
from amplifier_jupyter.modules._deltas import DEFAULT_INTERVAL, DeltaBuffer
from amplifier_jupyter.modules._emit import emit
from amplifier_jupyter.modules._per_message import PerMessage

WHEN_EXHAUSTED = ("echo", "repeat", "error")
# The requests kept for tests to look at (``requests``): the latest few, not every one, each of
# which holds the whole conversation (a long session's memory grew with its square).
KEEP_REQUESTS = 3


class ScriptError(InvalidRequestError):
    """The script is malformed or has run out (with ``when_exhausted: error``)."""


def _normalize(entry: Any, index: int) -> dict[str, Any]:
    """One script entry as a dict with ``text``, ``thinking`` and ``tool_calls``."""
    if isinstance(entry, str):
        return {"text": entry, "thinking": None, "tool_calls": []}
    if not isinstance(entry, dict):
        raise ScriptError(
            f"script[{index}] must be a string or a dict with text/tool_calls/thinking, "
            f"not {type(entry).__name__}"
        )
    unknown = set(entry) - {"text", "thinking", "tool_calls"}
    if unknown:
        raise ScriptError(
            f"script[{index}] has unknown keys {sorted(unknown)}: use text, thinking, tool_calls"
        )
    calls = []
    for j, call in enumerate(entry.get("tool_calls") or []):
        if not isinstance(call, dict) or "name" not in call:
            raise ScriptError(f'script[{index}].tool_calls[{j}] needs a "name" (and an "input")')
        calls.append(
            {
                "id": call.get("id") or f"toolu_scripted_{uuid.uuid4().hex[:12]}",
                "name": call["name"],
                "input": dict(call.get("input") or {}),
            }
        )
    return {"text": entry.get("text") or "", "thinking": entry.get("thinking"), "tool_calls": calls}


def _last_user_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role != "user":
            continue
        if isinstance(message.content, str):
            return message.content
        texts = [
            getattr(b, "text", "") for b in message.content if getattr(b, "type", "") == "text"
        ]
        if texts:
            return "\n".join(texts)
    return ""


def _estimate_tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, default=str)) // 4)


class _MessageSizes:
    """:func:`_estimate_tokens` of a request's messages, each message's JSON measured once.

    The same ``Message`` objects come again in every request of a conversation
    (loop-notebook keeps them): each one's dump is measured when first seen
    (``PerMessage``). The total is what ``_estimate_tokens`` of the list of dumps
    gives: the list's JSON is its items' JSON, ``", "`` between them, in brackets.
    """

    def __init__(self) -> None:
        self._sizes: PerMessage[int] = PerMessage(
            lambda message: len(json.dumps(message.model_dump(), default=str))
        )

    def input_tokens(self, messages: list[Any]) -> int:
        total = 2 + 2 * max(0, len(messages) - 1) + sum(self._sizes.of(messages))
        return max(1, total // 4)


class ScriptedProvider:
    """A provider whose answers are written in advance (see the package docstring)."""

    name = "scripted"
    context_window = 200_000
    max_output_tokens = 8_192

    def __init__(self, config: dict[str, Any], coordinator: Any = None) -> None:
        script = config.get("script", [])
        if not isinstance(script, list):
            raise ScriptError('"script" must be a list of replies (strings or dicts)')
        self.script = [_normalize(entry, i) for i, entry in enumerate(script)]
        self.when_exhausted = config.get("when_exhausted", "echo")
        if self.when_exhausted not in WHEN_EXHAUSTED:
            raise ScriptError(f'"when_exhausted" must be one of {", ".join(WHEN_EXHAUSTED)}')
        # Not ``stream``: upstream loop-streaming calls any ``stream`` attribute it finds.
        self.streams_events = flag(config, "stream", True)
        self.chunk_delay = seconds(config, "chunk_delay", 0.0)
        self.delta_interval = seconds(config, "delta_interval", DEFAULT_INTERVAL)
        self.model = str(config.get("model", "scripted"))
        self.calls = 0
        self.requests: list[ChatRequest] = []
        self._sizes = _MessageSizes()
        self._coordinator = coordinator

    def get_info(self) -> ProviderInfo:
        """Metadata: no credentials, no network."""
        return ProviderInfo(
            id="scripted",
            display_name="Scripted (offline)",
            credential_env_vars=[],
            capabilities=["tools", "streaming"],
            defaults={"model": self.model},
        )

    async def list_models(self) -> list[ModelInfo]:
        """The single pretend model."""
        return [
            ModelInfo(
                id=self.model,
                display_name="Scripted replies",
                context_window=self.context_window,
                max_output_tokens=self.max_output_tokens,
            )
        ]

    def _next_reply(self, request: ChatRequest) -> dict[str, Any]:
        index = self.calls
        self.calls += 1
        if index < len(self.script):
            return self.script[index]
        if self.when_exhausted == "repeat" and self.script:
            return self.script[-1]
        if self.when_exhausted == "error":
            raise ScriptError(
                f"the script has {len(self.script)} replies and all are used: add more, "
                'or set "when_exhausted": "echo"'
            )
        return {
            "text": f"(scripted echo) {_last_user_text(request)}",
            "thinking": None,
            "tool_calls": [],
        }

    async def complete(self, request: ChatRequest, **kwargs: Any) -> ChatResponse:
        """Answer with the next scripted reply."""
        self.requests.append(request)
        del self.requests[:-KEEP_REQUESTS]
        await self._emit(
            LLM_REQUEST,
            {
                "provider": self.name,
                "model": request.model or self.model,
                "message_count": len(request.messages),
                "tool_count": len(request.tools or []),
                "stream": self.streams_events,
            },
        )
        reply = self._next_reply(request)
        content: list[Any] = []
        index = 0
        if reply["thinking"]:
            await self._stream_block(index, "thinking", reply["thinking"])
            content.append(ThinkingBlock(thinking=reply["thinking"]))
            index += 1
        if reply["text"]:
            await self._stream_block(index, "text", reply["text"])
            content.append(TextBlock(text=reply["text"]))
            index += 1
        calls = [
            ToolCall(id=c["id"], name=c["name"], arguments=c["input"]) for c in reply["tool_calls"]
        ]
        content.extend(
            ToolCallBlock(id=c["id"], name=c["name"], input=c["input"]) for c in reply["tool_calls"]
        )
        input_tokens = self._sizes.input_tokens(request.messages)
        output_tokens = _estimate_tokens(reply)
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
            cost_usd=Decimal("0"),
        )
        finish_reason = "tool_use" if calls else "end_turn"
        # The provider contract's report of the call (as provider-claude's).
        await self._emit(
            LLM_RESPONSE,
            {
                "provider": self.name,
                "model": request.model or self.model,
                "usage": usage.model_dump(mode="json"),
                "finish_reason": finish_reason,
            },
        )
        return ChatResponse(
            content=content,
            tool_calls=calls or None,
            usage=usage,
            finish_reason=finish_reason,
            metadata={"model": request.model or self.model},
        )

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        await emit(self._coordinator, event, data)  # nothing without hooks

    def parse_tool_calls(self, response: ChatResponse) -> list[ToolCall]:
        """The response's tool calls (already parsed)."""
        return list(response.tool_calls or [])

    async def _stream_block(self, index: int, block_type: str, text: str) -> None:
        """Emit a block as ``content_block:*`` events, its words coalesced (``_deltas.py``)."""
        hooks = getattr(self._coordinator, "hooks", None)
        if hooks is None or not self.streams_events:
            return
        base = {"provider": self.name, "block_index": index, "block_type": block_type}
        await self._emit("content_block:start", dict(base))
        deltas = DeltaBuffer(self._emit, self.name, self.delta_interval)
        try:
            for chunk in re.findall(r"\S+\s*|\s+", text):
                if self._cancelled():
                    raise AbortError("stopped by the user", provider=self.name)
                if self.chunk_delay:
                    await asyncio.sleep(self.chunk_delay)
                await deltas.add(index, block_type, chunk)
        except (Exception, asyncio.CancelledError):  # a Stop: what came goes out first
            with contextlib.suppress(Exception):
                await deltas.flush()
            raise
        await deltas.flush()
        block = {"type": block_type, ("thinking" if block_type == "thinking" else "text"): text}
        await self._emit("content_block:end", {**base, "block": block})
        if block_type == "thinking":
            await self._emit("thinking:final", {**base, "text": text})

    def _cancelled(self) -> bool:
        return is_cancelled(self._coordinator)
