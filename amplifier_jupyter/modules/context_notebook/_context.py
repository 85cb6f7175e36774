"""The in-memory context manager with turn-wise compaction."""

from __future__ import annotations

import copy
import json
from typing import Any

# Characters per token: a deliberate over-estimate of the token count for
# English and code, so the budget errs on the side of fitting.
CHARS_PER_TOKEN = 3.5
DEFAULT_CONTEXT_WINDOW = 200_000
DEFAULT_MAX_OUTPUT = 8_192
SAFETY_MARGIN = 0.05
# An image costs about width × height / 750 tokens; at the 1,568 px working size, at most
# this many (its base64 data is not text and is not counted as such).
IMAGE_TOKENS = 1_600


def _without_image_data(value: Any) -> tuple[Any, int]:
    """``value`` with each base64 image's data left out, and how many images there were."""
    if isinstance(value, dict):
        source = value.get("source")
        if value.get("type") == "image" and isinstance(source, dict) and "data" in source:
            return {**value, "source": {**source, "data": ""}}, 1
        pairs = [(k, _without_image_data(v)) for k, v in value.items()]
        return {k: v for k, (v, _) in pairs}, sum(n for _, (_, n) in pairs)
    if isinstance(value, list):
        items = [_without_image_data(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    return value, 0


def estimate_tokens(message: dict[str, Any]) -> int:
    """A cheap, provider-independent estimate of a message's size in tokens."""
    content = message.get("content", "")
    images = 0
    if not isinstance(content, str):
        content, images = _without_image_data(content)
    text = content if isinstance(content, str) else json.dumps(content, default=str)
    extra = json.dumps(message.get("tool_calls") or [], default=str)
    return int((len(text) + len(extra)) / CHARS_PER_TOKEN) + 4 + images * IMAGE_TOKENS


def _turn_starts(messages: list[dict[str, Any]]) -> list[int]:
    """Indexes of the user messages that open a turn (tool results do not)."""
    return [i for i, m in enumerate(messages) if m.get("role") == "user"]


class NotebookContext:
    """Conversation memory for one session; policy: keep the newest turns that fit."""

    def __init__(self, config: dict[str, Any], hooks: Any = None) -> None:
        self.config = config
        self._hooks = hooks
        self._messages: list[dict[str, Any]] = []
        # An explicit budget (tokens) wins over the provider's window; handy in tests.
        self.max_tokens: int | None = config.get("max_tokens")
        self.compactions = 0

    async def add_message(self, message: dict[str, Any]) -> None:
        """Append one message (stored as a copy, so callers may reuse theirs)."""
        self._messages.append(copy.deepcopy(message))

    async def get_messages(self) -> list[dict[str, Any]]:
        """All messages, uncompacted (for transcripts and status)."""
        return copy.deepcopy(self._messages)

    async def set_messages(self, messages: list[dict[str, Any]]) -> None:
        """Replace the conversation (resume, rollback, edit-and-rerun)."""
        self._messages = copy.deepcopy(list(messages))

    async def clear(self) -> None:
        """Forget the conversation."""
        self._messages = []

    def budget(self, provider: Any = None, token_budget: int | None = None) -> int:
        """Tokens the request may use: the window less the answer's room and a margin."""
        if token_budget:
            return int(token_budget)
        if self.max_tokens:
            return int(self.max_tokens)
        window = getattr(provider, "context_window", None) or DEFAULT_CONTEXT_WINDOW
        output = getattr(provider, "max_output_tokens", None) or DEFAULT_MAX_OUTPUT
        return int((window - output) * (1 - SAFETY_MARGIN))

    async def get_messages_for_request(
        self, token_budget: int | None = None, provider: Any = None
    ) -> list[dict[str, Any]]:
        """The messages to send, with the oldest whole turns dropped if over budget."""
        budget = self.budget(provider, token_budget)
        messages = self._messages
        total = sum(estimate_tokens(m) for m in messages)
        if total <= budget:
            return copy.deepcopy(messages)

        await self._emit("context:pre_compact", {"tokens": total, "budget": budget})
        system = [m for m in messages if m.get("role") in ("system", "developer")]
        rest = [m for m in messages if m.get("role") not in ("system", "developer")]
        starts = _turn_starts(rest)
        kept = rest
        # Drop whole turns from the front, but always keep the latest turn.
        for start in starts[1:]:
            candidate = rest[start:]
            size = sum(estimate_tokens(m) for m in system + candidate)
            kept = candidate
            if size <= budget:
                break
        dropped = len(rest) - len(kept)
        self.compactions += 1
        result = system + kept
        await self._emit(
            "context:post_compact",
            {
                "dropped_messages": dropped,
                "tokens": sum(estimate_tokens(m) for m in result),
                "budget": budget,
            },
        )
        return copy.deepcopy(result)

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        if self._hooks is not None:
            await self._hooks.emit(event, data)
