"""Replay is the host's, not our loop's: under loop-notebook and the test loops that
behave as upstream loop-basic and loop-streaming (tests/upstream_like), a turn of two
model calls (a tool call, then the answer) is recorded with provider-claude against the
fake API, then replayed under ``strict`` with no request made: the same answer, the tool
run again, the timeline marking each call replayed at $0, the totals counting them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, text_reply, tool_reply
from test_totals_any_loop import LOOPS, run_two_calls

from amplifier_jupyter.replay import state as replay_module
from amplifier_jupyter.replay.state import ReplayState
from amplifier_jupyter.session.kernel import KernelSession


@pytest.fixture
def replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReplayState:
    state = ReplayState()
    state.set("on", tmp_path / "analysis.ipynb.amplifier-replay.jsonl")
    monkeypatch.setattr(replay_module, "_STATE", state)
    return state


def provider(fake: FakeAnthropic) -> dict[str, Any]:
    return {"module": "provider-claude", "config": {"api_key": "test-key", "base_url": fake.url}}


@pytest.mark.parametrize("loop", list(LOOPS))
async def test_a_recorded_turn_replays_under_any_loop(
    loop: str, replay: ReplayState, fake_anthropic: FakeAnthropic
) -> None:
    fake_anthropic.enqueue(
        tool_reply("weather", {"city": "Oslo"}, usage={"input_tokens": 100, "output_tokens": 10}),
        text_reply("Sunny.", usage={"input_tokens": 200, "output_tokens": 20}),
    )
    ks = KernelSession()
    try:
        await run_two_calls(ks, provider(fake_anthropic), loop)
    finally:
        await ks.reset()
    assert len(fake_anthropic.requests) == 2
    assert (replay.counts.live, replay.counts.recorded, len(replay.record_file())) == (2, 2, 2)

    replay.set("strict")
    fake_anthropic.reset()
    ks = KernelSession()
    try:
        timeline = await run_two_calls(ks, provider(fake_anthropic), loop)  # asserts "Sunny."
        assert fake_anthropic.requests == []
        calls = [e.text for e in timeline.entries if "replayed · recorded" in e.text]
        assert len(calls) == 2, [e.text for e in timeline.entries]
        assert all(text.endswith("$0") for text in calls), calls
        # The tool ran again: the second call's key holds its result ("Sunny in Oslo").
        assert ("tool", "weather") in [(e.kind, e.text) for e in timeline.entries]
        assert ks.totals.requests == 2 and ks.totals.cost_usd == Decimal("0")
        assert (ks.totals.input_tokens, ks.totals.output_tokens) == (300, 30)
        assert replay.counts.replayed == 2
    finally:
        await ks.reset()


async def test_a_secret_in_a_prompt_is_not_written_and_the_call_still_replays(
    replay: ReplayState, fake_anthropic: FakeAnthropic
) -> None:
    secret = "sk-ant-api03-" + "x" * 40
    prompt = f"Is {secret} a valid key format?"
    fake_anthropic.enqueue(text_reply("It looks like one."))
    entry = {
        "module": "provider-claude",
        "config": {"api_key": "test-key", "base_url": fake_anthropic.url},
    }
    for mode in ("on", "strict"):
        replay.set(mode)
        ks = KernelSession()
        try:
            await ks.set_plan(
                {
                    "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
                    "providers": [entry],
                    "tools": [],
                    "hooks": [],
                }
            )
            assert await ks.execute(prompt) == "It looks like one."
        finally:
            await ks.reset()
    assert len(fake_anthropic.requests) == 1 and replay.counts.replayed == 1
    written = replay.record_file().path.read_text()
    assert secret not in written and "[REDACTED]" in written
