"""The in-memory context manager with turn-wise compaction."""

from __future__ import annotations

import json
from typing import Any

from amplifier_jupyter.modules._emit import emit
from amplifier_jupyter.modules.context_notebook._copy import copy_message, copy_messages

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
    """Conversation memory for one session; policy: keep the newest turns that fit.

    The messages it keeps are its own copies: ``get_messages`` and
    ``get_messages_for_request`` hand out copies, which callers may change freely
    (:meth:`snapshot` is for readers that promise not to). Each message's token
    estimate is worked out once, when it comes in. ``revision`` changes whenever the
    conversation changes other than by an append (``set_messages``, ``clear``): a
    reader that saw ``n`` messages at a revision that is still current needs only
    ``snapshot(n)`` to catch up (the transcript writer reads it so; any other
    context it reads whole).
    """

    def __init__(self, config: dict[str, Any], hooks: Any = None, coordinator: Any = None) -> None:
        self.config = config
        self._hooks = hooks
        self._coordinator = coordinator  # for the short way of its events (modules/_emit.py)
        self._messages: list[dict[str, Any]] = []
        self._tokens: list[int] = []  # estimate_tokens of each message, in step
        self.revision = 0
        # An explicit budget (tokens) wins over the provider's window; handy in tests.
        self.max_tokens: int | None = config.get("max_tokens")
        self.compactions = 0

    async def add_message(self, message: dict[str, Any]) -> None:
        """Append one message (stored as a copy, so callers may reuse theirs)."""
        stored = copy_message(message)
        self._messages.append(stored)
        self._tokens.append(estimate_tokens(stored))

    async def get_messages(self) -> list[dict[str, Any]]:
        """All messages, uncompacted (for transcripts and status): copies."""
        return copy_messages(self._messages)

    def snapshot(self, start: int = 0) -> list[dict[str, Any]]:
        """The messages (from index ``start`` on) themselves, in a list of their own: for
        readers that only read (the host's checks, the transcript), at the cost of a list,
        not of a copy.

        The context never changes a message it holds (a write replaces or appends), so
        this stays what the conversation was; a reader must not change them either
        (``set_messages`` copies what it is given, so handing them back is fine).
        """
        return self._messages[start:]

    async def set_messages(self, messages: list[dict[str, Any]]) -> None:
        """Replace the conversation (resume, rollback, edit-and-rerun)."""
        self._messages = copy_messages(list(messages))
        self._tokens = [estimate_tokens(m) for m in self._messages]
        self.revision += 1

    async def clear(self) -> None:
        """Forget the conversation."""
        self._messages = []
        self._tokens = []
        self.revision += 1

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
        return copy_messages(await self.snapshot_for_request(token_budget, provider))

    async def snapshot_for_request(
        self, token_budget: int | None = None, provider: Any = None
    ) -> list[dict[str, Any]]:
        """What :meth:`get_messages_for_request` gives, without the copy: the messages
        themselves, for a reader that only reads (as :meth:`snapshot`). The same message
        is the same object from one request to the next until ``set_messages``, so a
        reader may keep what it built from one (loop-notebook keeps its ``Message``).
        """
        budget = self.budget(provider, token_budget)
        messages, tokens = self._messages, self._tokens
        total = sum(tokens)
        if total <= budget:
            return list(messages)

        await self._emit("context:pre_compact", {"tokens": total, "budget": budget})
        system = [i for i, m in enumerate(messages) if m.get("role") in ("system", "developer")]
        rest = [i for i, m in enumerate(messages) if m.get("role") not in ("system", "developer")]
        system_tokens = sum(tokens[i] for i in system)
        # from_here[j]: the tokens of rest[j:].
        from_here = [0] * (len(rest) + 1)
        for j in range(len(rest) - 1, -1, -1):
            from_here[j] = from_here[j + 1] + tokens[rest[j]]
        starts = _turn_starts([messages[i] for i in rest])
        kept = rest
        # Drop whole turns from the front, but always keep the latest turn.
        for start in starts[1:]:
            kept = rest[start:]
            if system_tokens + from_here[start] <= budget:
                break
        dropped = len(rest) - len(kept)
        self.compactions += 1
        result = system + kept
        await self._emit(
            "context:post_compact",
            {
                "dropped_messages": dropped,
                "tokens": sum(tokens[i] for i in result),
                "budget": budget,
            },
        )
        return [messages[i] for i in result]

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        if self._hooks is not None:
            await emit(self._coordinator, event, data, self._hooks)
