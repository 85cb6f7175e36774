"""The answer's text from a streaming provider's deltas or a non-streaming loop's blocks."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.events.streamed_text import StreamedText


def text_of(events: list[tuple[str, dict[str, Any]]]) -> str:
    streamed = StreamedText()
    return "".join(streamed.take(event, data) for event, data in events)


def end(index: int, block: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return ("content_block:end", {"block_index": index, "block": block})


def delta(index: int, text: str, kind: str = "text") -> tuple[str, dict[str, Any]]:
    return ("content_block:delta", {"block_index": index, "block_type": kind, "delta": text})


def test_deltas_then_the_provider_s_and_the_loop_s_end_give_the_text_once() -> None:
    events = [
        ("provider:request", {}),
        delta(0, "hm", "thinking"),
        delta(1, "Hello "),
        delta(1, "world"),
        end(0, {"type": "thinking", "thinking": "hm"}),
        end(1, {"type": "text", "text": "Hello world"}),  # the provider's
        end(1, {"type": "text", "text": "Hello world"}),  # the loop's (loop-basic)
    ]
    assert text_of(events) == "Hello world"


def test_a_loop_that_does_not_stream_gives_each_text_block_at_its_end() -> None:
    events = [
        ("provider:request", {}),
        ("content_block:start", {"block_index": 0, "block_type": "text"}),
        end(0, {"type": "text", "text": "Let me look."}),
        end(1, {"type": "tool_call", "id": "t1", "name": "bash", "input": {}}),
        ("provider:request", {}),  # the next call's blocks count from 0 again
        end(0, {"type": "text", "text": " Done."}),
    ]
    assert text_of(events) == "Let me look. Done."


def test_odd_blocks_give_no_text() -> None:
    events = [end(0, "not a dict"), end(1, {"type": "text"}), ("tool:post", {"result": "x"})]  # type: ignore[arg-type]
    assert text_of(events) == ""
