"""``provider-openai-like``: a provider that reports as OpenAI-style providers do.

Its ``llm:response`` usage uses OpenAI's names (``prompt_tokens``,
``completion_tokens``, ``prompt_tokens_details.cached_tokens``) and no cost:
this package knows no price for it. It answers with the model the request named
(``request.model``, else its configured one), so a test sees which model a
call asked for. ``REQUESTED`` keeps each call's ``request.model``.
"""

from __future__ import annotations

from typing import Any

from amplifier_core import ChatRequest, ChatResponse, ProviderInfo, TextBlock, Usage

__amplifier_module_type__ = "provider"

REQUESTED: list[str | None] = []


class OpenAILikeProvider:
    name = "openai-like"

    def __init__(self, config: dict[str, Any], coordinator: Any) -> None:
        self.model = str(config.get("model", "gpt-like-1"))
        self.coordinator = coordinator

    def get_info(self) -> ProviderInfo:
        return ProviderInfo(id=self.name, display_name="OpenAI-like (test)", credential_env_vars=[])

    async def list_models(self) -> list[Any]:
        return []

    async def complete(self, request: ChatRequest, **kwargs: Any) -> ChatResponse:
        REQUESTED.append(request.model)
        model = request.model or self.model
        usage = {
            "prompt_tokens": 120,
            "completion_tokens": 7,
            "total_tokens": 127,
            "prompt_tokens_details": {"cached_tokens": 20},
        }
        await self.coordinator.hooks.emit(
            "llm:response", {"provider": self.name, "model": model, "usage": usage}
        )
        return ChatResponse(
            content=[TextBlock(text=f"answered by {model}")],
            usage=Usage(input_tokens=100, output_tokens=7, total_tokens=107, cache_read_tokens=20),
            finish_reason="stop",
            metadata={"model": model},
        )

    def parse_tool_calls(self, response: ChatResponse) -> list[Any]:
        return list(response.tool_calls or [])


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    provider = OpenAILikeProvider(config or {}, coordinator)
    await coordinator.mount("providers", provider, name=provider.name)
