"""``provider-stubborn``: a slow provider that ignores Stop, for the escalation tests.

Its first call (the first ``slow_calls``) streams a ``content_block:delta`` every
``interval`` seconds for ``seconds`` seconds, then answers ``text``; later calls
answer ``text`` at once, without events. It never looks at the cancellation
token (as upstream providers need not), so under an orchestrator that checks the
token only between model calls (``loop-basic-like``) a graceful stop waits the
whole call out. With ``swallow_cancel`` it even catches the ``CancelledError`` of
its cancelled task and goes on streaming, as no well-behaved module does: the
host must still keep that run's events out of the panel and the transcript.
``FINISHED`` counts the calls that ran to their end.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from amplifier_core import ChatRequest, ChatResponse, ProviderInfo, TextBlock, Usage

__amplifier_module_type__ = "provider"

FINISHED: list[float] = []


class StubbornProvider:
    name = "stubborn"

    def __init__(self, config: dict[str, Any], coordinator: Any) -> None:
        self.seconds = float(config.get("seconds", 30))
        self.interval = float(config.get("interval", 0.1))
        self.text = str(config.get("text", "At last."))
        self.swallow_cancel = bool(config.get("swallow_cancel", False))
        self.slow_calls = int(config.get("slow_calls", 1))
        self.coordinator = coordinator
        self.calls = 0

    def get_info(self) -> ProviderInfo:
        return ProviderInfo(id="stubborn", display_name="Stubborn (test)", credential_env_vars=[])

    async def list_models(self) -> list[Any]:
        return []

    async def complete(self, request: ChatRequest, **kwargs: Any) -> ChatResponse:
        self.calls += 1
        if self.calls > self.slow_calls:
            return self._answer()
        base = {"provider": self.name, "block_index": 0, "block_type": "text"}
        await self.coordinator.hooks.emit("content_block:start", dict(base))
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            try:
                await asyncio.sleep(self.interval)
                await self.coordinator.hooks.emit("content_block:delta", {**base, "delta": "… "})
            except asyncio.CancelledError:
                if not self.swallow_cancel:
                    raise
        FINISHED.append(time.monotonic())
        return self._answer()

    def _answer(self) -> ChatResponse:
        return ChatResponse(
            content=[TextBlock(text=self.text)],
            usage=Usage(input_tokens=1, output_tokens=1, total_tokens=2),
            finish_reason="end_turn",
        )

    def parse_tool_calls(self, response: ChatResponse) -> list[Any]:
        return list(response.tool_calls or [])


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    await coordinator.mount(
        "providers", StubbornProvider(config or {}, coordinator), name="stubborn"
    )
