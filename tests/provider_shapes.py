"""provider-scripted in an upstream provider's shape (its script still answers).

Shared by the tests that run upstream-like loops: no ``stream`` attribute
(provider-scripted's is its config flag, which loop-streaming would call), and
``content_blocks`` as upstream provider-anthropic sets them.
"""

from __future__ import annotations

from typing import Any

from amplifier_core import TextContent, ThinkingContent, ToolCallContent


class NoStream:
    """provider-scripted without a ``stream`` attribute, as upstream providers are."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "stream":
            raise AttributeError(name)
        return getattr(self._inner, name)


class AnthropicShaped(NoStream):
    """Adds ``content_blocks`` as upstream provider-anthropic does; records the kwargs."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.kwargs: list[dict[str, Any]] = []

    async def complete(self, request: Any, **kwargs: Any) -> Any:
        self.kwargs.append(kwargs)
        response = await self._inner.complete(request, **kwargs)
        blocks: list[Any] = []
        for block in response.content:
            if block.type == "text":
                blocks.append(TextContent(text=block.text))
            elif block.type == "thinking":
                blocks.append(ThinkingContent(text=block.thinking))
            else:
                blocks.append(ToolCallContent(id=block.id, name=block.name, arguments=block.input))
        response.content_blocks = blocks
        return response
