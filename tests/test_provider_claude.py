"""provider-claude through the real anthropic SDK against the fake Messages API."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from amplifier_core import ChatRequest, Message, ToolSpec
from amplifier_core.llm_errors import (
    AbortError,
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    LLMTimeoutError,
    NetworkError,
    NotFoundError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitError,
    StreamError,
)
from amplifier_core.testing import MockCoordinator
from fake_anthropic import (
    FakeAnthropic,
    Reply,
    api_key_of,
    cut_stream,
    error_reply,
    malformed_reply,
    silent_reply,
    stalled_stream,
    stream_error,
    thinking_reply,
    tool_reply,
    unaccepting_host,
)
from fake_fixtures import fake_anthropic  # noqa: F401
from waiting import until, within

from amplifier_jupyter.modules.provider_claude import (
    NO_KEY_MESSAGE,
    ClaudeProvider,
    ModelDeprecationWarning,
    mount,
)
from amplifier_jupyter.modules.provider_claude import _provider as provider_module
from amplifier_jupyter.modules.provider_claude._config import Settings
from amplifier_jupyter.modules.provider_claude._mapping import build_request, convert_messages
from amplifier_jupyter.modules.provider_claude._pricing import MODELS, cost_usd
from amplifier_jupyter.modules.provider_claude._waits import answer_timeout, waits_for

KEY = "sk-ant-test-0123456789abcdef"
RECORDED = (
    "content_block:start",
    "content_block:delta",
    "content_block:end",
    "thinking:delta",
    "thinking:final",
    "llm:request",
    "llm:response",
    "provider:retry",
    "provider:tool_sequence_repaired",
)
ADD_TOOL = ToolSpec(
    name="add",
    description="Adds two numbers.",
    parameters={"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
)


class Recorder:
    """A real (mock) coordinator whose hooks record every provider event."""

    def __init__(self) -> None:
        self.coordinator = MockCoordinator()
        self.events: list[tuple[str, dict[str, Any]]] = []
        for event in RECORDED:
            self.coordinator.hooks.register(event, self._record, name=f"test-{event}")

    async def _record(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))

    def of(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]


@pytest.fixture
def fake(fake_anthropic: FakeAnthropic) -> FakeAnthropic:  # noqa: F811 - the imported fixture
    return fake_anthropic


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def config(fake: FakeAnthropic, **extra: Any) -> dict[str, Any]:
    """A config that reaches only the fake, with tiny retry delays."""
    return {"api_key": KEY, "base_url": fake.url, "retry_base_delay": 0.001, **extra}


# The providers a test made, closed after it (their HTTP connections too).
MADE: list[ClaudeProvider] = []


@pytest.fixture(autouse=True)
async def close_providers() -> AsyncIterator[None]:
    yield
    while MADE:
        await MADE.pop().close()


def provider(fake: FakeAnthropic, recorder: Recorder | None = None, **extra: Any) -> ClaudeProvider:
    coordinator = recorder.coordinator if recorder else None
    made = ClaudeProvider(config(fake, **extra), coordinator=coordinator)
    MADE.append(made)
    return made


def ask(*messages: dict[str, Any] | str, **kw: Any) -> ChatRequest:
    """A ChatRequest from stored-form message dicts (a str is a user message)."""
    built = [
        Message(**({"role": "user", "content": m} if isinstance(m, str) else m)) for m in messages
    ]
    return ChatRequest(messages=built, **kw)


# -- mount and config ----------------------------------------------------------


async def test_mount_registers_claude_and_cleanup_closes_client(fake: FakeAnthropic) -> None:
    coordinator = MockCoordinator()
    cleanup = await mount(coordinator, config(fake))
    mounted = coordinator.get("providers")["claude"]
    assert isinstance(mounted, ClaudeProvider) and mounted.name == "claude"
    client = mounted.client  # made on first use
    await cleanup()
    assert client.is_closed()


async def test_a_key_set_after_mount_is_used(
    fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    coordinator = MockCoordinator()
    cleanup = await mount(coordinator, {**config(fake), "api_key": None})
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-set-later-0123456789")
    fake.reset()
    fake.enqueue("Hello.")
    response = await coordinator.get("providers")["claude"].complete(ask("hi"))
    assert response.content[0].text == "Hello."
    assert api_key_of(fake.requests[-1].headers) == "sk-ant-set-later-0123456789"
    await cleanup()


async def test_without_a_key_it_mounts_and_the_first_request_raises_the_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    coordinator = MockCoordinator()
    cleanup = await mount(coordinator, {"model": "claude-sonnet-5-5"})
    provider = coordinator.get("providers")["claude"]
    with pytest.raises(AuthenticationError) as caught:
        await provider.complete(ChatRequest(messages=[Message(role="user", content="hi")]))
    assert str(caught.value) == NO_KEY_MESSAGE
    await cleanup()  # nothing was opened: nothing to close, no error
    assert NO_KEY_MESSAGE == (
        'No Anthropic API key: set ANTHROPIC_API_KEY (or "api_key" in the provider config), '
        "or use the offline provider-scripted."
    )


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env-123456")
    assert ClaudeProvider({}).settings.api_key == "sk-from-env-123456"


def test_upstream_config_keys_are_accepted(fake: FakeAnthropic) -> None:
    p = provider(
        fake,
        default_model="claude-opus-5-5",
        use_streaming=False,
        enable_prompt_caching=False,
        priority=100,
        enable_web_search=False,
    )
    assert p.model == "claude-opus-5-5"
    assert p.settings.stream is False and p.settings.cache is False
    assert p.settings.ignored == ["enable_web_search", "priority"]


def test_bad_config_value_is_one_line(fake: FakeAnthropic) -> None:
    with pytest.raises(ConfigurationError) as caught:
        provider(fake, max_tokens="lots")
    assert "\n" not in str(caught.value) and "max_tokens" in str(caught.value)


def test_default_model_is_current_and_info_gives_limits(fake: FakeAnthropic) -> None:
    p = provider(fake)
    assert p.model == "claude-sonnet-5-5"
    assert p.context_window == 1_000_000 and p.max_output_tokens == 128_000
    info = p.get_info()
    assert info.id == "claude" and "ANTHROPIC_API_KEY" in info.credential_env_vars
    assert p.get_model_info("claude-haiku-4-5-20251001").context_window == 200_000


async def test_list_models_has_limits_and_prices(fake: FakeAnthropic) -> None:
    models = {m.id: m for m in await provider(fake).list_models()}
    sonnet = models["claude-sonnet-5-5"]
    assert sonnet.max_output_tokens == 128_000 and sonnet.pricing.input_per_million == 2.0
    assert list(models)[0] in ("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")


def test_deprecated_model_warns_once(fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provider_module, "_warned_models", set())
    with pytest.warns(ModelDeprecationWarning, match='use "claude-sonnet-5-5" instead'):
        provider(fake, model="claude-sonnet-4-5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        provider(fake, model="claude-sonnet-4-5")


# -- answers -------------------------------------------------------------------


async def test_text_answer_without_streaming(fake: FakeAnthropic) -> None:
    response = await provider(fake, stream=False).complete(ask("What is 2 + 2?"))
    assert [b.text for b in response.content] == ["4"]
    assert response.finish_reason == "end_turn" and response.tool_calls is None
    assert response.metadata["model"] == "claude-sonnet-5-5"
    assert response.metadata["latency_ms"] >= 0 and response.metadata["streamed"] is False
    body = fake.bodies[0]
    assert "stream" not in body and body["model"] == "claude-sonnet-5-5"
    assert body["messages"][0]["content"][0]["text"] == "What is 2 + 2?"
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_streamed_deltas_arrive_in_order_and_join_to_the_text(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    text = "Streaming works: one piece after another, in order."
    fake.enqueue(Reply.from_spec({"text": text, "chunk_size": 5}))
    # delta_interval 0: an event per piece the API sent (coalescing: test_stream_deltas.py).
    response = await provider(fake, recorder, delta_interval=0).complete(ask("Say something."))
    deltas = recorder.of("content_block:delta")
    assert len(deltas) == 11
    assert "".join(d["delta"] for d in deltas) == text == response.content[0].text
    assert {(d["provider"], d["block_index"], d["block_type"]) for d in deltas} == {
        ("claude", 0, "text")
    }
    order = [name for name, _ in recorder.events if name.startswith("content_block")]
    assert order[0] == "content_block:start" and order[-1] == "content_block:end"
    assert recorder.of("content_block:end")[0]["block"] == {"type": "text", "text": text}
    assert fake.bodies[0]["stream"] is True


async def test_usage_and_cost_on_response_and_llm_response_event(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    usage = {
        "input_tokens": 1000,
        "output_tokens": 500,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 100,
    }
    fake.enqueue(Reply.from_spec({"text": "ok", "usage": usage}))
    response = await provider(fake, recorder).complete(ask("hi"))
    expected = Decimal(1000 * 2 + 500 * 10) / 10**6 + Decimal("2000") * Decimal("0.10") / 10**6
    expected += Decimal(100) * Decimal("2.50") / 10**6
    assert response.usage.cost_usd == expected
    assert response.usage.input_tokens == 1000 and response.usage.output_tokens == 500
    assert response.usage.cache_read_tokens == 2000 and response.usage.cache_write_tokens == 100
    assert response.usage.total_tokens == 3600
    (event,) = recorder.of("llm:response")
    assert event["cost_usd"] == str(expected) and event["model"] == "claude-sonnet-5-5"
    assert event["usage"]["cache_read_tokens"] == 2000 and event["latency_ms"] >= 0


def test_haiku_long_prompt_band() -> None:
    short = cost_usd("claude-haiku-5-5", input_tokens=100_000, output_tokens=0)
    long = cost_usd("claude-haiku-5-5", input_tokens=100_001, output_tokens=0)
    assert short == Decimal("0.01") and long == Decimal("100001") * Decimal("0.5") / 10**6


async def test_tool_use_round_trip_mapping(fake: FakeAnthropic, recorder: Recorder) -> None:
    fake.enqueue(tool_reply("add", {"a": 2, "b": 3}, id="toolu_01", text="Adding."))
    p = provider(fake, recorder)
    first = await p.complete(ask("Add 2 and 3.", tools=[ADD_TOOL]))
    (call,) = p.parse_tool_calls(first)
    assert (call.id, call.name, call.arguments) == ("toolu_01", "add", {"a": 2, "b": 3})
    assert first.finish_reason == "tool_use"
    tool_deltas = [d for d in recorder.of("content_block:delta") if d["block_type"] == "tool_call"]
    assert "".join(d["delta"] for d in tool_deltas) == '{"a": 2, "b": 3}'
    tools = fake.bodies[0]["tools"]
    assert tools[0]["name"] == "add" and tools[0]["input_schema"]["type"] == "object"

    # What the orchestrator stores, sent back: the fake (strict) checks the pairing.
    assistant = {
        "role": "assistant",
        "content": [b.model_dump() for b in first.content],
        "tool_calls": [{"id": "toolu_01", "tool": "add", "arguments": {"a": 2, "b": 3}}],
    }
    result = {"role": "tool", "tool_call_id": "toolu_01", "name": "add", "content": "sum=5"}
    second = await p.complete(ask("Add 2 and 3.", assistant, result, tools=[ADD_TOOL]))
    assert second.content[0].text == "The tool returned: sum=5"
    sent = fake.bodies[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"][1] == {
        "type": "tool_use",
        "id": "toolu_01",
        "name": "add",
        "input": {"a": 2, "b": 3},
    }
    tool_result = sent[2]["content"][0]
    assert tool_result["type"] == "tool_result" and tool_result["tool_use_id"] == "toolu_01"
    assert tool_result["content"] == "sum=5"
    assert not recorder.of("provider:tool_sequence_repaired")


async def test_consecutive_tool_results_merge_into_one_user_message(fake: FakeAnthropic) -> None:
    assistant = {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "t1", "tool": "add", "arguments": {"a": 1}},
            {"id": "t2", "tool": "add", "arguments": {"a": 2}},
        ],
    }
    results = [
        {"role": "tool", "tool_call_id": f"t{i}", "name": "add", "content": f"r{i}"} for i in (1, 2)
    ]
    await provider(fake).complete(ask("Go.", assistant, *results))
    sent = fake.bodies[0]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert [b["tool_use_id"] for b in sent[2]["content"]] == ["t1", "t2"]


async def test_missing_tool_result_is_repaired(fake: FakeAnthropic, recorder: Recorder) -> None:
    assistant = {
        "role": "assistant",
        "content": [{"type": "tool_call", "id": "t9", "name": "add", "input": {"a": 1}}],
        "tool_calls": [{"id": "t9", "tool": "add", "arguments": {"a": 1}}],
    }
    response = await provider(fake, recorder).complete(ask("First.", assistant, "Never mind."))
    assert response.content[0].text == "Echo: Never mind."
    (event,) = recorder.of("provider:tool_sequence_repaired")
    assert event["repair_count"] == 1
    assert event["repairs"][0]["tool_call_id"] == "t9" and event["repairs"][0]["tool_name"] == "add"
    repaired = fake.bodies[0]["messages"][2]["content"]
    assert repaired[0]["type"] == "tool_result" and repaired[0]["is_error"] is True
    assert repaired[1]["text"] == "Never mind."


async def test_thinking_streams_and_is_sent_back_with_its_signature(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    fake.enqueue(thinking_reply("Two and two make four.", "4", signature="sig-abc"))
    p = provider(fake, recorder, thinking=True)
    response = await p.complete(ask("What is 2 + 2?"))
    assert fake.bodies[0]["thinking"] == {"type": "adaptive", "display": "summarized"}
    thinking, text = response.content
    assert (thinking.thinking, thinking.signature, text.text) == (
        "Two and two make four.",
        "sig-abc",
        "4",
    )
    assert "".join(d["delta"] for d in recorder.of("thinking:delta")) == "Two and two make four."
    assert recorder.of("thinking:final")[0]["text"] == "Two and two make four."
    assert recorder.of("content_block:start")[0]["block_type"] == "thinking"

    stored = {"role": "assistant", "content": [b.model_dump() for b in response.content]}
    await p.complete(ask("What is 2 + 2?", stored, "And 3 + 3?"))
    replayed = fake.bodies[1]["messages"][1]["content"][0]
    assert replayed == {
        "type": "thinking",
        "thinking": "Two and two make four.",
        "signature": "sig-abc",
    }


async def test_extended_thinking_from_the_loop_turns_thinking_on_for_that_call(
    fake: FakeAnthropic,
) -> None:
    """loop-basic (and loop-notebook) pass ``extended_thinking=True`` when their config
    asks; ``reasoning_effort`` comes in the request."""
    p = provider(fake)
    await p.complete(ask("Think."), extended_thinking=True)
    await p.complete(ask("Now do not.", reasoning_effort="low"))
    assert fake.bodies[0]["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert "thinking" not in fake.bodies[1]
    assert fake.bodies[1]["output_config"] == {"effort": "low"}


async def test_budget_thinking_on_older_models_leaves_temperature_out(fake: FakeAnthropic) -> None:
    p = provider(fake, model="claude-haiku-4-5", thinking={"budget_tokens": 2048}, max_tokens=1000)
    await p.complete(ask("Think."))
    body = fake.bodies[0]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] > 2048


async def test_thinking_with_a_forced_tool_choice_sends_auto(fake: FakeAnthropic) -> None:
    # The API answers 400 to thinking with tool_choice any/tool: the choice gives way.
    p = provider(fake, model="claude-haiku-4-5", thinking=True)
    await p.complete(ask("Add 2 and 3.", tools=[ADD_TOOL], tool_choice="required"))
    body = fake.bodies[0]
    assert body["thinking"]["type"] == "enabled"
    assert body["tool_choice"] == {"type": "auto"}


async def test_temperature_only_where_the_model_accepts_it(fake: FakeAnthropic) -> None:
    await provider(fake, temperature=0.3).complete(ask("a"))
    await provider(fake, temperature=0.3, model="claude-sonnet-4-6").complete(ask("b"))
    assert "temperature" not in fake.bodies[0]
    assert fake.bodies[1]["temperature"] == 0.3


async def test_temperature_and_top_p_together_send_temperature_only(fake: FakeAnthropic) -> None:
    p = provider(fake, model="claude-sonnet-4-6")
    await p.complete(ask("a", temperature=0.3, top_p=0.9))
    assert fake.bodies[0]["temperature"] == 0.3 and "top_p" not in fake.bodies[0]
    await p.complete(ask("b", top_p=0.9))
    assert fake.bodies[1]["top_p"] == 0.9


async def test_system_developer_and_caching_markers(fake: FakeAnthropic) -> None:
    p = provider(fake)
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "developer", "content": "Notebook context: x = 1"},
        "What is x?",
    ]
    first = await p.complete(ask(*messages))
    body = fake.bodies[0]
    assert [b["text"] for b in body["system"]] == ["You are helpful.", "Notebook context: x = 1"]
    assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in body["system"][0]
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert first.usage.cache_write_tokens > 0

    later = [*messages, {"role": "assistant", "content": "x is 1."}, "And x + 1?"]
    second = await p.complete(ask(*later))
    assert second.usage.cache_read_tokens > 0
    markers = str(fake.bodies[1]).count("cache_control")
    assert markers == 2


async def test_cache_false_sends_no_markers(fake: FakeAnthropic) -> None:
    await provider(fake, cache=False).complete(ask({"role": "system", "content": "S."}, "hi"))
    assert "cache_control" not in str(fake.bodies[0])


async def test_request_model_overrides_the_configured_one(fake: FakeAnthropic) -> None:
    p = provider(fake)
    response = await p.complete(ask("hi", model="claude-opus-5-5"))
    assert fake.bodies[0]["model"] == "claude-opus-5-5"
    assert response.metadata["model"] == "claude-opus-5-5"
    assert response.usage.cost_usd == cost_usd(
        "claude-opus-5-5",
        input_tokens=response.usage.input_tokens,
        output_tokens=response.usage.output_tokens,
        cache_write_tokens=response.usage.cache_write_tokens,
    )
    await p.complete(ask("hi"))
    assert fake.bodies[1]["model"] == "claude-sonnet-5-5"


# -- failures ------------------------------------------------------------------


async def test_retries_honour_retry_after_and_are_emitted(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    fake.enqueue(error_reply(429, retry_after=0.2), error_reply(529), "Finally.")
    started = time.monotonic()
    response = await provider(fake, recorder).complete(ask("hi"))
    assert response.content[0].text == "Finally." and response.metadata["attempts"] == 3
    assert time.monotonic() - started >= 0.2
    retries = recorder.of("provider:retry")
    assert [(r["attempt"], r["max_retries"], r["reason"]) for r in retries] == [
        (1, 3, "429"),
        (2, 3, "529"),
    ]
    assert [r["status"] for r in retries] == [429, 529]
    assert retries[0]["delay"] == 0.2 and retries[0]["provider"] == "claude"
    assert "rate_limit_error" in retries[0]["error"]


async def test_rate_limit_after_the_last_try_is_one_line(fake: FakeAnthropic) -> None:
    fake.enqueue(error_reply(429, retry_after=0), error_reply(429, retry_after=0.5))
    with pytest.raises(RateLimitError) as caught:
        await provider(fake, max_retries=1).complete(ask("hi"))
    message = str(caught.value)
    assert "\n" not in message and "429, after 2 tries" in message and "wait" in message
    assert caught.value.retry_after == 0.5 and len(fake.requests) == 2


async def test_retry_after_beyond_the_cap_is_not_waited_for(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    fake.enqueue(error_reply(529, retry_after=120))
    cap = 5
    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError, match="overloaded"):
        await provider(fake, recorder, max_retry_delay=cap).complete(ask("hi"))
    # No retry was announced (the provider sleeps only after announcing one), and not even
    # the cap went by: the error came at once.
    assert recorder.of("provider:retry") == [] and len(fake.requests) == 1
    assert time.monotonic() - started < cap


async def test_refused_key_is_one_line_without_the_key() -> None:
    with FakeAnthropic(api_key="sk-ant-the-right-key") as fake:
        with pytest.raises(AuthenticationError) as caught:
            await provider(fake).complete(ask("hi"))
        message = str(caught.value)
        assert "refused the API key (401)" in message and "\n" not in message
        assert KEY not in message and KEY not in repr(caught.value)
        assert len(fake.requests) == 1  # never retried


async def test_retired_model_names_a_current_one() -> None:
    fake = FakeAnthropic(not_found_models={"claude-3-opus-20240229"})
    with fake, pytest.raises(NotFoundError) as caught:
        await provider(fake, model="claude-3-opus-20240229").complete(ask("hi"))
    assert str(caught.value) == (
        'Model "claude-3-opus-20240229" was not found (retired or misspelled): '
        'use "claude-opus-5-5" instead.'
    )


async def test_bad_request_is_not_retried(fake: FakeAnthropic) -> None:
    fake.enqueue(error_reply(400, message="max_tokens: must be at most 128000"))
    with pytest.raises(InvalidRequestError, match="max_tokens: must be at most 128000"):
        await provider(fake).complete(ask("hi"))
    assert len(fake.requests) == 1


async def test_cut_stream_is_retried_never_returned_as_complete(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    fake.enqueue(cut_stream("A long answer that will be cut.", after=4), "Whole answer.")
    response = await provider(fake, recorder).complete(ask("hi"))
    assert [b.text for b in response.content] == ["Whole answer."]
    (retry,) = recorder.of("provider:retry")
    assert "cut off" in retry["error"]


async def test_cut_stream_on_the_last_try_raises_stream_error(fake: FakeAnthropic) -> None:
    fake.enqueue(cut_stream(after=5))
    with pytest.raises(StreamError) as caught:
        await provider(fake, max_retries=0).complete(ask("hi"))
    assert str(caught.value) == (
        "The answer stream was cut off before it finished: run the cell again."
    )


async def test_error_event_mid_stream_is_retried_by_its_type(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    fake.enqueue(stream_error("overloaded_error", after=4), "Recovered.")
    response = await provider(fake, recorder).complete(ask("hi"))
    assert response.content[0].text == "Recovered."
    (retry,) = recorder.of("provider:retry")
    assert retry["status"] == 529 and "overloaded_error" in retry["error"]
    fake.enqueue(stream_error("invalid_request_error", after=2))
    with pytest.raises(InvalidRequestError):
        await provider(fake, max_retries=3).complete(ask("hi"))


async def test_malformed_json_is_retried(fake: FakeAnthropic) -> None:
    fake.enqueue(malformed_reply(), malformed_reply(), "Readable.")
    response = await provider(fake, stream=False).complete(ask("hi"))
    assert response.content[0].text == "Readable." and response.metadata["attempts"] == 2 + 1
    fake.enqueue(malformed_reply())
    with pytest.raises(ProviderUnavailableError, match="could not be read"):
        await provider(fake, max_retries=0).complete(ask("hi"))


async def test_unreachable_api_is_a_network_error() -> None:
    with FakeAnthropic() as fake:
        url = fake.url  # a port nobody listens on once stopped
    p = ClaudeProvider({"api_key": KEY, "base_url": url, "max_retries": 0})
    MADE.append(p)
    with pytest.raises(NetworkError, match="Could not reach the Anthropic API"):
        await p.complete(ask("hi"))


async def test_spending_cap_refuses_the_next_request(fake: FakeAnthropic) -> None:
    usage = {"input_tokens": 10_000, "output_tokens": 10_000}
    usage |= {"cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    fake.enqueue(Reply.from_spec({"text": "Expensive.", "usage": usage}))
    p = provider(fake, max_cost_usd=0.05)
    await p.complete(ask("hi"))
    assert p.spent_usd == Decimal("0.12")
    with pytest.raises(QuotaExceededError) as caught:
        await p.complete(ask("again"))
    assert "max_cost_usd" in str(caught.value) and "\n" not in str(caught.value)
    assert len(fake.requests) == 1  # the refused request never left


async def test_stop_ends_a_slow_stream_at_once(fake: FakeAnthropic, recorder: Recorder) -> None:
    text, chunk_size, chunk_delay = "word " * 200, 5, 0.05
    fake.enqueue(
        Reply.from_spec({"text": text, "chunk_size": chunk_size, "chunk_delay": chunk_delay})
    )
    # The fake sleeps between its deltas: the whole stream takes this long at least.
    whole_stream = len(text) / chunk_size * chunk_delay
    coordinator = recorder.coordinator

    async def stop_after_first_delta(event: str, data: dict[str, Any]) -> None:
        coordinator.cancellation.request_immediate()

    coordinator.hooks.register("content_block:delta", stop_after_first_delta, name="stopper")
    started = time.monotonic()
    with pytest.raises(AbortError):
        await provider(fake, recorder).complete(ask("Talk for a while."))
    assert time.monotonic() - started < whole_stream / 2
    assert len(recorder.of("content_block:delta")) < 5  # of 200


async def test_stop_during_a_retry_wait(fake: FakeAnthropic, recorder: Recorder) -> None:
    wait = 30
    fake.enqueue(error_reply(529, retry_after=wait))
    p = provider(fake, recorder, max_retry_delay=60)
    task = asyncio.ensure_future(p.complete(ask("hi")))
    await until(lambda: recorder.of("provider:retry"), "the provider to announce its retry")
    assert recorder.of("provider:retry")[0]["delay"] == wait
    recorder.coordinator.cancellation.request_immediate()
    # Well before the retry's 30 s: the stop ended the wait rather than sitting it out.
    with pytest.raises(AbortError):
        await within(task, "the stop to cut the 30 s retry wait short", timeout=wait / 2)
    assert len(fake.requests) == 1


# -- waits: a hung API is given up on in seconds, and said so --------------------
# Each test's hang lasts an hour (or until the fake stops): only the configured
# timeout can end it within the test's deadline.


async def test_an_api_that_sends_nothing_is_retried_after_first_byte_timeout(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    fake.enqueue(silent_reply(), "Answered.")
    started = time.monotonic()
    response = await within(
        provider(fake, recorder, first_byte_timeout=0.5).complete(ask("hi")),
        "a retry 0.5 s after the API sent nothing",
    )
    assert response.content[0].text == "Answered." and response.metadata["attempts"] == 2
    assert time.monotonic() - started >= 0.5
    (retry,) = recorder.of("provider:retry")
    assert (retry["attempt"], retry["max_retries"], retry["reason"]) == (
        1,
        3,
        "0.5 s with no answer",
    )
    assert retry["status"] is None and "sent nothing for 0.5 s" in retry["error"]
    # The SDK tells the API what it waits for: the first byte's limit, not the old 600 s.
    assert fake.requests[0].headers["x-stainless-read-timeout"] == "0.5"


async def test_a_stream_gone_quiet_is_retried_after_idle_timeout(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    # The first byte may take a minute; silence after it, half a second.
    fake.enqueue(stalled_stream("Half of this arrives, then nothing.", after=4), "Whole answer.")
    p = provider(fake, recorder, first_byte_timeout=60, idle_timeout=0.5)
    response = await within(p.complete(ask("hi")), "a retry 0.5 s into the silence")
    assert [b.text for b in response.content] == ["Whole answer."]
    (retry,) = recorder.of("provider:retry")
    assert (retry["attempt"], retry["reason"]) == (1, "0.5 s of silence")
    assert "went silent for 0.5 s" in retry["error"]
    # What streamed before the silence was shown, then the retry started the blocks again.
    first_try = [name for name, _ in recorder.events][
        : recorder.events.index(("provider:retry", retry))
    ]
    assert "content_block:start" in first_try


async def test_pings_keep_a_quiet_stream_alive(fake: FakeAnthropic, recorder: Recorder) -> None:
    # The model thinks for 3 s writing nothing; the API pings meanwhile (the SDK drops
    # pings, so only their bytes show): that is no silence, whatever the idle limit.
    fake.enqueue(stalled_stream("Worth the wait.", after=4, stall_for=3, ping_every=0.1))
    response = await provider(fake, recorder, idle_timeout=1.5).complete(ask("hi"))
    assert response.content[0].text == "Worth the wait." and response.metadata["attempts"] == 1
    assert recorder.of("provider:retry") == []


async def test_after_the_last_try_one_line_names_the_wait_and_its_key(
    fake: FakeAnthropic,
) -> None:
    fake.enqueue(silent_reply(), silent_reply())
    with pytest.raises(LLMTimeoutError) as caught:
        await provider(fake, max_retries=1, first_byte_timeout=0.3).complete(ask("hi"))
    assert str(caught.value) == (
        "The Anthropic API sent nothing for 0.3 s (after 2 tries): try again, "
        'or raise "first_byte_timeout" in the provider config.'
    )
    fake.enqueue(stalled_stream(after=0))  # right after the response's headers
    with pytest.raises(LLMTimeoutError) as caught:
        await provider(fake, max_retries=0, idle_timeout=0.3).complete(ask("hi"))
    assert str(caught.value) == (
        'The answer stream went silent for 0.3 s: try again, or raise "idle_timeout" '
        "in the provider config."
    )


async def test_a_host_that_never_accepts_is_given_up_on_after_connect_timeout(
    recorder: Recorder,
) -> None:
    with unaccepting_host() as url:
        p = ClaudeProvider(
            {
                "api_key": KEY,
                "base_url": url,
                "connect_timeout": 0.3,
                "max_retries": 1,
                "retry_base_delay": 0.001,
            },
            coordinator=recorder.coordinator,
        )
        MADE.append(p)
        with pytest.raises(LLMTimeoutError) as caught:
            await within(p.complete(ask("hi")), "two tries of 0.3 s to connect")
    assert str(caught.value) == (
        "No connection to the Anthropic API within 0.3 s (after 2 tries): check the network "
        'connection and base_url, or raise "connect_timeout" in the provider config.'
    )
    (retry,) = recorder.of("provider:retry")
    assert retry["reason"] == "0.3 s with no connection"


async def test_a_non_streamed_answer_may_take_as_long_as_its_max_tokens(
    fake: FakeAnthropic, recorder: Recorder
) -> None:
    # The whole answer is one wait: the first byte's 30 s plus max_tokens at a slow pace.
    await provider(fake, stream=False, max_tokens=7_200).complete(ask("hi"))
    assert answer_timeout(30, 7_200) == 233 == 30 + 7_200 * 3600 / 128_000 + 0.5
    assert fake.requests[-1].headers["x-stainless-read-timeout"] == "233.0"
    # "timeout" sets it outright; running out is retried, then said with what helps.
    fake.enqueue(silent_reply(), silent_reply())
    p = provider(fake, recorder, stream=False, timeout=0.3, max_retries=1)
    with pytest.raises(LLMTimeoutError) as caught:
        await within(p.complete(ask("hi")), "two tries of 0.3 s")
    assert str(caught.value) == (
        "The Anthropic API did not answer within 0.3 s (after 2 tries): stream the answer "
        '(stream: true), or raise "timeout" in the provider config.'
    )
    assert recorder.of("provider:retry")[0]["reason"] == "0.3 s with no answer"


def test_the_default_waits_suit_a_cell_and_a_request_may_shorten_them() -> None:
    settings = Settings.from_config({"api_key": KEY})
    streamed = waits_for(settings, stream=True, max_tokens=32_000)
    assert (streamed.connect.seconds, streamed.first_byte.seconds, streamed.idle.seconds) == (
        10,
        30,
        45,
    )
    assert streamed.answer is None
    assert waits_for(settings, stream=False, max_tokens=1_000).answer.seconds == 59
    short = waits_for(settings, stream=True, max_tokens=1_000, request_timeout=5)
    assert (short.first_byte.seconds, short.idle.seconds, short.idle.key) == (
        5,
        5,
        "ChatRequest.timeout",
    )
    given = Settings.from_config({"api_key": KEY, "timeout": 90, "idle_timeout": "20"})
    assert waits_for(given, stream=False, max_tokens=1_000).answer.seconds == 90
    assert waits_for(given, stream=True, max_tokens=1_000).idle.seconds == 20


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("idle_timeout", "soon"),
        ("first_byte_timeout", 0),
        ("connect_timeout", -1),
        ("timeout", True),
        ("idle_timeout", float("inf")),
    ],
)
def test_a_bad_wait_is_one_line_naming_its_key(key: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_config({"api_key": KEY, key: value})
    assert str(caught.value) == (
        f'provider-claude config "{key}" must be a number of seconds above 0, not {value!r}'
    )


# -- mapping details (no HTTP) ---------------------------------------------------


def test_images_orphan_results_and_unsigned_thinking() -> None:
    image = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
    messages = [
        Message(role="assistant", content="Earlier answer."),
        Message(
            role="user",
            content=[{"type": "text", "text": "Look:"}, {"type": "image", "source": image}],
        ),
        Message(
            role="assistant",
            content=[
                {"type": "thinking", "thinking": "no signature"},
                {"type": "text", "text": "A cat."},
            ],
        ),
        Message(role="tool", tool_call_id="gone", name="x", content="late result"),
    ]
    system, turns, repairs = convert_messages(messages)
    assert system == []
    assert turns[0] == {
        "role": "user",
        "content": [{"type": "text", "text": "(continuing an earlier conversation)"}],
    }
    assert turns[2]["content"][1] == {"type": "image", "source": image}
    assert turns[3]["content"] == [{"type": "text", "text": "A cat."}]
    assert turns[4]["content"] == [{"type": "text", "text": "[tool result gone] late result"}]
    assert [(r.tool_call_id, r.action) for r in repairs] == [("gone", "converted_orphan_result")]


def test_tool_choice_effort_and_stop_sequences() -> None:
    settings = Settings.from_config({"api_key": KEY, "effort": "low", "stop": ["END"]})
    request = ask("hi", tools=[ADD_TOOL], tool_choice="required")
    current = build_request(request, settings, "claude-sonnet-5-5", MODELS["claude-sonnet-5-5"])
    assert current.params["tool_choice"] == {"type": "auto"} and current.notes
    assert current.params["output_config"] == {"effort": "low"}
    assert current.params["stop_sequences"] == ["END"]
    older = build_request(request, settings, "claude-haiku-4-5", MODELS["claude-haiku-4-5"])
    assert older.params["tool_choice"] == {"type": "any"} and "output_config" not in older.params
    named = ask("hi", tools=[ADD_TOOL], tool_choice={"type": "tool", "name": "add"})
    picked = build_request(named, settings, "claude-sonnet-4-6", MODELS["claude-sonnet-4-6"])
    assert picked.params["tool_choice"] == {"type": "tool", "name": "add"}


def test_thinking_false_asks_for_the_least_each_model_allows() -> None:
    settings = Settings.from_config({"api_key": KEY, "thinking": False})
    params = {
        model: build_request(ask("hi"), settings, model, MODELS[model]).params.get("thinking")
        for model in ("claude-sonnet-5-5", "claude-opus-5-5", "claude-sonnet-5", "claude-haiku-4-5")
    }
    assert params == {
        "claude-sonnet-5-5": {"type": "between_tools"},
        "claude-opus-5-5": None,
        "claude-sonnet-5": {"type": "disabled"},
        "claude-haiku-4-5": None,
    }
