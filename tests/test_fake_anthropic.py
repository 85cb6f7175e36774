"""The fake Messages API: wire shapes, faults, recording, and its command line."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import anthropic
import pytest
from fake_anthropic import (
    FakeAnthropic,
    Reply,
    cut_stream,
    error_reply,
    malformed_reply,
    silent_reply,
    stalled_stream,
    stream_error,
    thinking_reply,
    tool_reply,
)
from fake_fixtures import fake_anthropic  # noqa: F401

HERE = Path(__file__).parent
MODEL = "claude-sonnet-5-5"


def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None, timeout: float = 5):
    """``(status, headers, raw body)`` of a POST to ``url`` + /v1/messages."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    payload = json.dumps(body)
    conn.request(
        "POST", "/v1/messages", payload, {"content-type": "application/json", **(headers or {})}
    )
    response = conn.getresponse()
    try:
        raw = response.read()
    except http.client.IncompleteRead as error:
        raw = b"INCOMPLETE:" + error.partial
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, raw


def body(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for chunk in raw.decode().strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in chunk.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.fixture
def fake(fake_anthropic: FakeAnthropic) -> FakeAnthropic:  # noqa: F811 - the imported fixture
    return fake_anthropic


def test_default_answers_and_json_shape(fake: FakeAnthropic) -> None:
    status, headers, raw = post(fake.url, body("What is 2 + 2?"))
    message = json.loads(raw)
    assert status == 200 and headers["request-id"].startswith("req_")
    assert message["type"] == "message" and message["role"] == "assistant"
    assert message["content"] == [{"type": "text", "text": "4"}]
    assert message["stop_reason"] == "end_turn" and message["model"] == MODEL
    assert set(message["usage"]) >= {"input_tokens", "output_tokens", "cache_read_input_tokens"}
    _, _, raw = post(fake.url, body("Hi there"))
    assert json.loads(raw)["content"][0]["text"] == "Echo: Hi there"


def test_stream_events_have_the_real_shapes(fake: FakeAnthropic) -> None:
    fake.enqueue(
        Reply.from_spec(
            {
                "thinking": "Hmm.",
                "signature": "sig-1",
                "text": "Sure.",
                "tool_use": {"name": "add", "input": {"a": 1, "b": [2, 3]}, "id": "toolu_x"},
                "chunk_size": 2,
            }
        )
    )
    status, headers, raw = post(fake.url, body(stream=True))
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = sse(raw)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    assert all(name == data["type"] for name, data in events)
    starts = [d["content_block"] for n, d in events if n == "content_block_start"]
    assert [s["type"] for s in starts] == ["thinking", "text", "tool_use"]
    assert starts[2] == {"type": "tool_use", "id": "toolu_x", "name": "add", "input": {}}
    deltas = [d for n, d in events if n == "content_block_delta"]
    by_type: dict[str, str] = {}
    for d in deltas:
        delta = d["delta"]
        value = delta.get("text") or delta.get("thinking") or delta.get("partial_json") or ""
        by_type[delta["type"]] = by_type.get(delta["type"], "") + (delta.get("signature") or value)
    assert by_type["thinking_delta"] == "Hmm." and by_type["signature_delta"] == "sig-1"
    assert by_type["text_delta"] == "Sure."
    assert json.loads(by_type["input_json_delta"]) == {"a": 1, "b": [2, 3]}
    final = events[-2][1]
    assert final["delta"]["stop_reason"] == "tool_use" and final["usage"]["output_tokens"] > 0


def test_sdk_reads_the_stream(fake: FakeAnthropic) -> None:
    fake.enqueue(thinking_reply("Think.", "Done."), tool_reply("add", {"a": 1}, text="Calling."))
    client = anthropic.Anthropic(api_key="k", base_url=fake.url, max_retries=0)
    with client.messages.stream(**body()) as stream:
        first = stream.get_final_message()
    assert [b.type for b in first.content] == ["thinking", "text"]
    assert first.content[0].signature.startswith("sig_")
    with client.messages.stream(**body()) as stream:
        second = stream.get_final_message()
    assert second.content[1].input == {"a": 1} and second.stop_reason == "tool_use"
    client.close()


def test_errors_have_the_api_body_and_retry_after(fake: FakeAnthropic) -> None:
    fake.enqueue(
        error_reply(429, retry_after=1.5), error_reply(529), error_reply(500, message="Boom")
    )
    status, headers, raw = post(fake.url, body())
    assert status == 429 and headers["retry-after"] == "1.5"
    error = json.loads(raw)
    assert error["type"] == "error" and error["error"]["type"] == "rate_limit_error"
    status, _, raw = post(fake.url, body())
    assert status == 529 and json.loads(raw)["error"]["type"] == "overloaded_error"
    status, _, raw = post(fake.url, body())
    assert status == 500 and json.loads(raw)["error"] == {"type": "api_error", "message": "Boom"}


def test_key_check_and_not_found_models() -> None:
    with FakeAnthropic(api_key="good", not_found_models={"claude-3-opus-20240229"}) as fake:
        status, _, raw = post(fake.url, body(), {"x-api-key": "bad"})
        assert status == 401 and json.loads(raw)["error"]["type"] == "authentication_error"
        assert post(fake.url, body(), {"authorization": "Bearer good"})[0] == 200
        retired = {**body(), "model": "claude-3-opus-20240229"}
        status, _, raw = post(fake.url, retired, {"x-api-key": "good"})
        assert status == 404
        assert json.loads(raw)["error"] == {
            "type": "not_found_error",
            "message": "model: claude-3-opus-20240229",
        }


def test_strict_mode_rejects_an_unanswered_tool_use(fake: FakeAnthropic) -> None:
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}],
        },
        {"role": "user", "content": "and?"},
    ]
    status, _, raw = post(fake.url, {**body(), "messages": messages})
    assert status == 400 and "without `tool_result` blocks" in json.loads(raw)["error"]["message"]
    messages[2]["content"] = [{"type": "text", "text": " "}]
    status, _, raw = post(fake.url, {**body(), "messages": messages[:1] + messages[2:]})
    assert status == 400 and "non-whitespace" in json.loads(raw)["error"]["message"]


def test_requests_are_recorded_and_reset(fake: FakeAnthropic) -> None:
    fake.enqueue("queued")
    post(fake.url, body("one"), {"x-api-key": "k1"})
    post(fake.url, body("two"))
    assert fake.queued == 0
    first, second = fake.requests
    assert first.headers["x-api-key"] == "k1" and first.path == "/v1/messages"
    assert first.body["messages"][0]["content"] == "one"
    assert [b["messages"][0]["content"] for b in fake.bodies] == ["one", "two"]
    fake.enqueue("x")
    fake.reset()
    assert fake.requests == [] and fake.queued == 0


def test_cut_stream_and_malformed(fake: FakeAnthropic) -> None:
    fake.enqueue(cut_stream(after=3), malformed_reply(), malformed_reply())
    _, _, raw = post(fake.url, body(stream=True))
    assert raw.startswith(b"INCOMPLETE:") or b"message_stop" not in raw
    _, _, raw = post(fake.url, body(stream=True))
    with pytest.raises(json.JSONDecodeError):
        sse(raw)
    _, _, raw = post(fake.url, body())
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


def test_slow_stream(fake: FakeAnthropic) -> None:
    fake.enqueue(Reply.from_spec({"text": "abcdef", "chunk_size": 1, "chunk_delay": 0.02}))
    started = time.monotonic()
    _, _, raw = post(fake.url, body(stream=True))
    assert time.monotonic() - started >= 0.2
    assert sum(1 for name, _ in sse(raw) if name == "content_block_delta") == 6


def test_hangs_before_the_first_byte_and_mid_stream(fake: FakeAnthropic) -> None:
    fake.enqueue(silent_reply(), silent_reply("Late.", delay=0.2))
    with pytest.raises(TimeoutError):  # nothing at all came within the client's 0.5 s
        post(fake.url, body(stream=True), timeout=0.5)
    status, _, raw = post(fake.url, body())  # a short delay, then the answer
    assert status == 200 and json.loads(raw)["content"][0]["text"] == "Late."
    fake.enqueue(stalled_stream("Quiet, then the rest.", after=2, stall_for=0.5, ping_every=0.1))
    names = [name for name, _ in sse(post(fake.url, body(stream=True))[2])]
    # message_start and the first ping, the stall's pings, then the rest to message_stop.
    assert names[:2] == ["message_start", "ping"] and names.count("ping") >= 2
    assert names[-1] == "message_stop" and "content_block_delta" in names


def test_prompt_cache_is_simulated(fake: FakeAnthropic) -> None:
    system = [{"type": "text", "text": "S" * 400, "cache_control": {"type": "ephemeral"}}]
    turn = {"type": "text", "text": "question", "cache_control": {"type": "ephemeral"}}
    one = {**body(), "system": system, "messages": [{"role": "user", "content": [turn]}]}
    first = json.loads(post(fake.url, one)[2])["usage"]
    assert first["cache_creation_input_tokens"] > 100 and first["cache_read_input_tokens"] == 0
    two = {
        **one,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "question"}]},
            {"role": "assistant", "content": "answer"},
            {"role": "user", "content": [{**turn, "text": "next"}]},
        ],
    }
    second = json.loads(post(fake.url, two)[2])["usage"]
    assert second["cache_read_input_tokens"] >= first["cache_creation_input_tokens"]


def test_command_line_serves_a_script(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps({"replies": ["From the script."], "api_key": "k"}))
    command = [sys.executable, str(HERE / "fake_anthropic.py"), "--port", "0", "--script"]
    # As a context manager, Popen closes the pipe too.
    with subprocess.Popen([*command, str(script)], stdout=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline().strip()
            assert line.startswith("FAKE_ANTHROPIC_URL=http://127.0.0.1:")
            url = line.split("=", 1)[1]
            status, _, raw = post(url, body(), {"x-api-key": "k"})
            assert status == 200 and json.loads(raw)["content"][0]["text"] == "From the script."
            queue = urllib.request.Request(f"{url}/_fake/replies", data=b'["Queued later."]')
            with urllib.request.urlopen(queue, timeout=5) as response:
                assert json.loads(response.read())["queued"] == 1
            queued = json.loads(post(url, body(), {"x-api-key": "k"})[2])
            assert queued["content"][0]["text"] == "Queued later."
            with urllib.request.urlopen(f"{url}/_fake/requests", timeout=5) as response:
                recorded = json.loads(response.read())
            assert len(recorded) == 2 and recorded[0]["body"]["model"] == MODEL
        finally:
            process.terminate()
            assert process.wait(timeout=5) == 0


def test_stream_error_event(fake: FakeAnthropic) -> None:
    fake.enqueue(stream_error("overloaded_error", after=3), stream_error("api_error"))
    status, _, raw = post(fake.url, body(stream=True))
    events = sse(raw)
    assert status == 200 and len(events) == 4
    assert events[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    status, _, raw = post(fake.url, body())  # not streamed: the error's own status
    assert status == 500 and json.loads(raw)["error"]["type"] == "api_error"
