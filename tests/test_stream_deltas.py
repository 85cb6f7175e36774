"""Streamed pieces coalesced before they become events (``modules/_deltas.py``): fewer
``content_block:delta`` events, the same text, in order, nothing lost or sent twice, at a
block's end, on a Stop and on a cut stream. The buffer with a clock of its own, then
provider-claude over HTTP to the fake Messages API and provider-scripted."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from amplifier_core.llm_errors import AbortError
from fake_anthropic import FakeAnthropic, Reply, cut_stream
from fake_fixtures import fake_anthropic  # noqa: F401
from test_provider_claude import Recorder, ask

from amplifier_jupyter.modules._deltas import DeltaBuffer
from amplifier_jupyter.modules.provider_claude import ClaudeProvider
from amplifier_jupyter.modules.provider_scripted import ScriptedProvider

FOREVER = 3600.0  # an interval no test outlasts: only the first piece and the flushes emit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Sent:
    """An ``emit`` that keeps what it was given."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))

    def deltas(self, event: str = "content_block:delta") -> list[str]:
        return [d["delta"] for name, d in self.events if name == event]


# -- the buffer ---------------------------------------------------------------------


async def test_the_first_piece_goes_at_once_the_rest_once_a_interval_and_at_the_flush() -> None:
    sent, clock = Sent(), Clock()
    buffer = DeltaBuffer(sent, "p", 0.05, clock=clock)
    await buffer.add(0, "text", "a")
    assert sent.deltas() == ["a"]  # at once: nothing was sent for a while
    for piece in "bcd":
        clock.now += 0.01
        await buffer.add(0, "text", piece)
    assert sent.deltas() == ["a"]  # held: 30 ms since the last event
    clock.now += 0.02
    await buffer.add(0, "text", "e")  # 50 ms since "a": everything held goes, with it
    assert sent.deltas() == ["a", "bcde"]
    clock.now += 0.01
    await buffer.add(0, "text", "f")
    await buffer.add(0, "text", "")  # an empty piece is no piece
    await buffer.flush()
    await buffer.flush()  # nothing held: nothing sent
    assert sent.deltas() == ["a", "bcde", "f"]
    assert sent.events[0][1] == {"provider": "p", "block_index": 0, "block_type": "text"} | {
        "delta": "a"
    }
    assert (buffer.pieces, buffer.events) == (6, 3)


async def test_a_piece_of_another_block_sends_the_held_block_first() -> None:
    sent, clock = Sent(), Clock()
    buffer = DeltaBuffer(sent, "p", FOREVER, clock=clock)
    for index, kind, piece in [(0, "thinking", "hm"), (0, "thinking", "m."), (1, "text", "Hi")]:
        await buffer.add(index, kind, piece)
    await buffer.add(1, "text", " there")
    await buffer.flush()
    order = [(name, d["block_index"], d["delta"]) for name, d in sent.events]
    assert order == [
        ("content_block:delta", 0, "hm"),
        ("thinking:delta", 0, "hm"),
        ("content_block:delta", 0, "m."),
        ("thinking:delta", 0, "m."),
        ("content_block:delta", 1, "Hi"),  # a new block's first piece goes at once
        ("content_block:delta", 1, " there"),
    ]


async def test_interval_zero_sends_every_piece() -> None:
    sent = Sent()
    buffer = DeltaBuffer(sent, "p", 0, clock=Clock())
    for piece in ("one ", "two ", "three"):
        await buffer.add(0, "text", piece)
    assert sent.deltas() == ["one ", "two ", "three"]


async def until(condition: Any, seconds: float = 10.0) -> None:
    """Wait (on the loop) until ``condition()``; fail after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.01)


async def test_pieces_held_when_the_model_pauses_go_out_on_a_timer() -> None:
    sent = Sent()
    buffer = DeltaBuffer(sent, "p", 0.05)
    await buffer.add(0, "text", "Let me ")
    await buffer.add(0, "text", "think")  # held: the same moment as the first
    assert sent.deltas() == ["Let me "]
    await until(lambda: len(sent.deltas()) == 2)  # no next piece: the timer sends it
    assert sent.deltas() == ["Let me ", "think"]
    await buffer.flush()  # nothing held any more: nothing sent twice
    assert sent.deltas() == ["Let me ", "think"]


class SlowSent(Sent):
    """An ``emit`` that takes a while for "b", so another emit can try to begin meanwhile."""

    async def __call__(self, event: str, data: dict[str, Any]) -> None:
        self.events.append(("begin " + event, data))
        if data["delta"] == "b":
            await asyncio.sleep(0.05)
        self.events.append((event, data))


async def test_a_flush_waits_for_the_timers_emit_so_the_order_holds() -> None:
    sent = SlowSent()
    buffer = DeltaBuffer(sent, "p", 0.02)
    await buffer.add(0, "text", "a")
    await buffer.add(0, "text", "b")  # held; the timer's emit begins in 20 ms
    await until(lambda: len(sent.events) == 3)  # "a" done, the timer's "b" begun
    await buffer.add(0, "text", "c")
    await buffer.flush()  # waits for "b", then sends "c"
    names = [(name, d["delta"]) for name, d in sent.events]
    assert names == [
        ("begin content_block:delta", "a"),
        ("content_block:delta", "a"),
        ("begin content_block:delta", "b"),
        ("content_block:delta", "b"),
        ("begin content_block:delta", "c"),
        ("content_block:delta", "c"),
    ]


async def test_an_error_in_the_timers_emit_is_raised_to_the_provider() -> None:
    calls: list[str] = []

    async def emit(event: str, data: dict[str, Any]) -> None:
        calls.append(data["delta"])
        if len(calls) == 2:
            raise RuntimeError("a hook failed")

    buffer = DeltaBuffer(emit, "p", 0.02)
    await buffer.add(0, "text", "a")
    await buffer.add(0, "text", "b")
    await until(lambda: len(calls) == 2)
    with pytest.raises(RuntimeError, match="a hook failed"):
        await buffer.add(0, "text", "c")


# -- provider-claude against the fake API --------------------------------------------


def text_of(recorder: Recorder, block_type: str = "text") -> str:
    deltas = recorder.of("content_block:delta")
    return "".join(d["delta"] for d in deltas if d["block_type"] == block_type)


@pytest.fixture
def recorded(fake_anthropic: FakeAnthropic) -> tuple[FakeAnthropic, Recorder]:  # noqa: F811
    """The fake API (its queue empty) and a coordinator whose hooks record the events."""
    return fake_anthropic, Recorder()


def claude(fake: FakeAnthropic, recorder: Recorder, **config: Any) -> ClaudeProvider:
    settings = {"api_key": "test-key", "base_url": fake.url, "retry_base_delay": 0.001}
    return ClaudeProvider(settings | config, coordinator=recorder.coordinator)


async def test_a_long_stream_becomes_few_events_with_all_of_its_text(
    recorded: tuple[FakeAnthropic, Recorder],
) -> None:
    fake, recorder = recorded
    text = " ".join(f"word{i}" for i in range(2000))
    thinking = "Let me count them all, one by one."
    fake.enqueue(Reply.from_spec({"thinking": thinking, "text": text, "chunk_size": 5}))
    provider = claude(fake, recorder, delta_interval=FOREVER, thinking=True)
    try:
        response = await provider.complete(ask("Count."))
    finally:
        await provider.close()
    assert response.content[-1].text == text
    # 7 thinking pieces and 3,778 text pieces came: per block, the first at once, the rest
    # at its end (a second's interval never passed here).
    assert text_of(recorder, "thinking") == thinking and text_of(recorder) == text
    assert [d["block_type"] for d in recorder.of("content_block:delta")] == ["thinking"] * 2 + [
        "text"
    ] * 2
    assert "".join(d["delta"] for d in recorder.of("thinking:delta")) == thinking
    names = [name for name, _ in recorder.events if name.startswith("content_block")]
    assert (
        names
        == [
            "content_block:start",
            "content_block:delta",
            "content_block:delta",
            "content_block:end",
        ]
        * 2
    )


async def test_a_stop_mid_stream_sends_the_pieces_that_came_first(
    recorded: tuple[FakeAnthropic, Recorder],
) -> None:
    fake, recorder = recorded
    text = " ".join(f"word{i}" for i in range(300))
    fake.enqueue(Reply.from_spec({"text": text, "chunk_size": 6, "chunk_delay": 0.002}))
    provider = claude(fake, recorder, delta_interval=FOREVER)
    # Stop, seen by the relay's check a few SDK events after the first delta (the SDK
    # yields two events a delta: its own "text" event and the raw delta).
    calls = itertools.count()

    def stopped() -> bool:
        return bool(recorder.of("content_block:delta")) and next(calls) >= 7

    provider._cancelled = stopped  # type: ignore[method-assign]
    try:
        with pytest.raises(AbortError):
            await provider.complete(ask("Talk."))
    finally:
        await provider.close()
    # The first piece at once; the held ones when the Stop was seen, before the error.
    first, held = [d["delta"] for d in recorder.of("content_block:delta")]
    assert first == text[:6] and len(held) >= 18 and text.startswith(first + held)
    assert not recorder.of("content_block:end")


async def test_a_cut_stream_sends_what_came_then_the_retry_starts_afresh(
    recorded: tuple[FakeAnthropic, Recorder],
) -> None:
    fake, recorder = recorded
    first = "This first try gets cut off somewhere in the middle of its words."
    whole = "The second try says everything, once."
    # message_start, ping, content_block_start, then five deltas of six characters: cut.
    fake.enqueue(cut_stream(first, after=8), whole)
    provider = claude(fake, recorder, delta_interval=FOREVER)
    try:
        response = await provider.complete(ask("Say it."))
    finally:
        await provider.close()
    assert response.content[0].text == whole
    names = [name for name, _ in recorder.events]
    retry = names.index("provider:retry")
    before = [d["delta"] for name, d in recorder.events[:retry] if name == "content_block:delta"]
    after = [d["delta"] for name, d in recorder.events[retry:] if name == "content_block:delta"]
    assert "".join(before) == first[:30]  # every piece of the cut try, once
    assert "".join(after) == whole
    assert names[retry + 1 :].count("content_block:start") == 1
    assert recorder.of("provider:retry")[0]["reason"] == "stream cut"


# -- provider-scripted ---------------------------------------------------------------


async def test_scripted_words_are_coalesced_and_a_stop_sends_the_held_ones() -> None:
    recorder = Recorder()
    text = " ".join(f"w{i}" for i in range(50))
    provider = ScriptedProvider(
        {"script": [text, text], "delta_interval": FOREVER}, coordinator=recorder.coordinator
    )
    await provider.complete(ask("Talk."))
    assert text_of(recorder) == text
    assert len(recorder.of("content_block:delta")) == 2  # 50 words: the first, then the rest

    recorder.events.clear()
    calls = itertools.count()
    # The provider checks for a Stop before each word: it is seen before the sixth.
    provider._cancelled = lambda: next(calls) >= 5  # type: ignore[method-assign]
    with pytest.raises(AbortError):
        await provider.complete(ask("Again."))
    assert [d["delta"] for d in recorder.of("content_block:delta")] == ["w0 ", "w1 w2 w3 w4 "]
    assert not recorder.of("content_block:end")
