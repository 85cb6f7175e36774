"""provider-claude inside a real AmplifierSession with the built-in loop, over HTTP to the fake.

The whole path a notebook run takes: the kernel session, loop-notebook, the
real anthropic SDK, and the request bodies as they reached the API.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from amplifier_core import ToolResult
from fake_anthropic import FakeAnthropic, error_reply, text_reply, tool_reply

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession


class Weather:
    """A tool the model can call."""

    name = "weather"
    description = "Today's weather in a city."
    input_schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    read_only = True

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        self.calls.append(input)
        return ToolResult(success=True, output=f"Sunny in {input['city']}, 21°C")


def claude_plan(url: str, **config: Any) -> dict[str, Any]:
    return {
        "session": {"orchestrator": "loop-basic", "context": "context-simple"},
        "providers": [
            {
                "module": "provider-anthropic",
                "config": {
                    "api_key": "test-key",
                    "base_url": url,
                    "retry_base_delay": 0.01,
                    **config,
                },
            }
        ],
        "tools": [],
    }


async def start(url: str, **config: Any) -> tuple[KernelSession, Weather]:
    ks = KernelSession()
    await ks.set_plan(claude_plan(url, **config))
    session = await ks.ensure_session()
    tool = Weather()
    await session.coordinator.mount("tools", tool, name=tool.name)
    return ks, tool


async def test_a_full_tool_round_trip(fake_anthropic: FakeAnthropic) -> None:
    fake_anthropic.enqueue(
        tool_reply("weather", {"city": "Oslo"}), text_reply("Oslo is sunny, 21°C.")
    )
    ks, tool = await start(fake_anthropic.url)
    answer = await ks.execute("Weather in Oslo?")
    assert answer == "Oslo is sunny, 21°C."
    assert tool.calls == [{"city": "Oslo"}]
    first, second = fake_anthropic.bodies
    assert [t["name"] for t in first["tools"]] == ["weather"]
    tool_use = second["messages"][1]["content"][-1]
    assert tool_use["type"] == "tool_use" and tool_use["input"] == {"city": "Oslo"}
    [result] = [b for b in second["messages"][2]["content"] if b["type"] == "tool_result"]
    assert result["tool_use_id"] == tool_use["id"]
    assert "Sunny in Oslo" in str(result["content"])
    assert ks.totals.requests == 2 and ks.totals.cost_usd > Decimal("0")
    await ks.reset()


async def test_the_cell_model_override_reaches_the_api(fake_anthropic: FakeAnthropic) -> None:
    ks, _ = await start(fake_anthropic.url)
    await ks.execute("hi", model="claude-haiku-5-5")
    await ks.execute("hi again")
    assert [b["model"] for b in fake_anthropic.bodies] == ["claude-haiku-5-5", "claude-sonnet-5-5"]
    await ks.reset()


async def test_a_cell_model_with_a_smaller_window_gets_a_compacted_conversation(
    fake_anthropic: FakeAnthropic,
) -> None:
    # About 86,000 estimated tokens a turn: three fit claude-sonnet-5-5's million-token
    # window, but not the 200,000 of claude-haiku-4-5 chosen for one cell.
    ks, _ = await start(fake_anthropic.url)
    long_turns = []
    for i in range(3):
        long_turns += [
            {"role": "user", "content": f"part {i}: " + "x" * 300_000},
            {"role": "assistant", "content": f"read part {i}"},
        ]
    await ks.session.coordinator.get("context").set_messages(long_turns)
    await ks.execute("Summarize.")
    await ks.execute("Summarize again.", model="claude-haiku-4-5")
    whole, compacted = fake_anthropic.bodies
    assert len(whole["messages"]) == 7
    assert compacted["model"] == "claude-haiku-4-5"
    assert compacted["messages"][-1]["content"][0]["text"] == "Summarize again."
    sent = sum(len(json.dumps(m)) for m in compacted["messages"])
    assert sent < 200_000 * 3.5
    await ks.reset()


async def test_rate_limited_to_the_end_is_one_line_and_nothing_is_half_stored(
    fake_anthropic: FakeAnthropic,
) -> None:
    ks, _ = await start(fake_anthropic.url, max_retries=1)
    fake_anthropic.enqueue(error_reply(429, retry_after=0), error_reply(429, retry_after=0))
    with pytest.raises(AmplifierUserError) as caught:
        await ks.execute("hello")
    message = str(caught.value)
    assert "\n" not in message and "rate" in message.lower()
    assert await ks.messages() == []
    assert await ks.execute("What is 2 + 2?") == "4"
    await ks.reset()
