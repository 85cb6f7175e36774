"""Tokens, cost and model calls right under any loop: loop-notebook, and test loops that
behave as upstream loop-basic and loop-streaming (tests/upstream_like; docs/design.md,
fact 23), with the scripted provider and with provider-claude over HTTP to the fake API.

The kernel's totals (``%amplifier status``) and the panel's timeline both read the
contract's events; neither raises on the way (no hook error), and each model call is
counted once though a provider's ``llm:response`` and a loop's ``provider:response``
(and loop-basic's ``content_block:end``) all report it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from amplifier_core import ToolResult
from fake_anthropic import FakeAnthropic, text_reply, tool_reply
from widget_comms import UPSTREAM_LIKE

from amplifier_jupyter.events.usage import read_usage
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.totals import totals_from_events
from amplifier_jupyter.transcripts.writer import SETTINGS
from amplifier_jupyter.ui.timeline import Timeline

LOOPS = {
    "loop-notebook": {"module": "loop-notebook"},
    "loop-basic-like": {"module": "loop-basic-like", "source": UPSTREAM_LIKE, "config": {}},
    "loop-streaming-like": {
        "module": "loop-streaming-like",
        "source": UPSTREAM_LIKE,
        "config": {},
    },
}


class Weather:
    name = "weather"
    description = "Today's weather in a city."
    input_schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    read_only = True

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        return ToolResult(success=True, output=f"Sunny in {input.get('city')}")


def plan(loop: str, provider: dict[str, Any]) -> dict[str, Any]:
    return {
        "session": {"orchestrator": LOOPS[loop], "context": "context-notebook"},
        "providers": [provider],
        "tools": [],
        "hooks": [],
    }


async def run_two_calls(ks: KernelSession, provider: dict[str, Any], loop: str) -> Timeline:
    """One turn of two model calls (a tool call, then the answer), seen by a timeline."""
    await ks.set_plan(plan(loop, provider))
    session = await ks.ensure_session()
    await session.coordinator.mount("tools", Weather(), name="weather")
    timeline = Timeline()
    ks.add_listener(timeline.on_event)
    try:
        assert await ks.execute("Weather in Oslo?") == "Sunny."
    finally:
        ks.remove_listener(timeline.on_event)
    assert ks.hook_errors == []
    assert not [e.text for e in timeline.entries if "not finished" in e.text]
    return timeline


@pytest.mark.parametrize("loop", list(LOOPS))
async def test_totals_with_provider_claude(loop: str, fake_anthropic: FakeAnthropic) -> None:
    no_cache = {"cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    fake_anthropic.enqueue(
        tool_reply(
            "weather",
            {"city": "Oslo"},
            usage={"input_tokens": 100, "output_tokens": 10, **no_cache},
        ),
        text_reply("Sunny.", usage={"input_tokens": 200, "output_tokens": 20, **no_cache}),
    )
    provider = {
        "module": "provider-claude",
        "config": {"api_key": "test-key", "base_url": fake_anthropic.url},
    }
    ks = KernelSession()
    try:
        timeline = await run_two_calls(ks, provider, loop)
        totals = ks.totals
        tokens_in = totals.input_tokens + totals.cache_read_tokens + totals.cache_write_tokens
        assert (totals.requests, tokens_in, totals.output_tokens) == (2, 300, 30)
        assert totals.cost_usd > Decimal("0")
        assert timeline.model_calls == 2
        assert (timeline.input_tokens, timeline.output_tokens) == (300, 30)
        assert timeline.cost == totals.cost_usd
    finally:
        await ks.reset()


@pytest.mark.parametrize("loop", list(LOOPS))
async def test_totals_with_the_scripted_provider(
    loop: str, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SETTINGS, "choice", True)
    script = [
        {"text": "Let me look.", "tool_calls": [{"name": "weather", "input": {"city": "Oslo"}}]},
        "Sunny.",
    ]
    reported: list[Any] = []

    def listen(event: str, data: dict[str, Any]) -> None:
        if event == "llm:response":
            reported.append(read_usage(data["usage"]))

    ks = KernelSession()
    ks.add_listener(listen)
    try:
        timeline = await run_two_calls(
            ks, {"module": "provider-scripted", "config": {"script": script}}, loop
        )
        assert len(reported) == 2  # the provider's own reports of its two calls
        totals = ks.totals
        assert totals.requests == 2
        assert totals.input_tokens == sum(u.input_tokens for u in reported) > 0
        assert totals.output_tokens == sum(u.output_tokens for u in reported) > 0
        assert (timeline.model_calls, timeline.input_tokens) == (2, totals.input_tokens)
        # Counted again from the transcript's events: the same.
        again = totals_from_events(ks.session.session_id)
        assert (again.requests, again.input_tokens) == (2, totals.input_tokens)
    finally:
        ks.remove_listener(listen)
        await ks.reset()


async def test_an_event_a_listener_cannot_take_costs_one_quiet_line_a_run() -> None:
    from amplifier_jupyter.session.logs import LOG_COLLECTOR

    run = 0

    def broken(event: str, data: dict[str, Any]) -> None:
        raise ValueError(f"cannot read this (run {run})")

    ks = KernelSession()
    ks.add_listener(broken)
    try:
        await ks.set_plan(plan("loop-basic-like", {"module": "provider-scripted"}))
        for run in range(2):
            await ks.execute(f"turn {run}")
            assert ks.hook_errors == []
            lines = [line for line in LOG_COLLECTOR.records if f"(run {run})" in line]
            assert len(lines) == 1 and lines[0].startswith("listener failed on "), lines
        assert ks.totals.requests == 2
    finally:
        ks.remove_listener(broken)
        await ks.reset()
