"""What a recorded call's key is made of (amplifier_jupyter/replay/key.py), and the line
that says what differs from the nearest record."""

from __future__ import annotations

from typing import Any

from amplifier_core.message_models import ChatRequest

from amplifier_jupyter.replay.key import key_of, normalise_text, request_form
from amplifier_jupyter.replay.nearest import difference
from amplifier_jupyter.replay.store import Record


def form(messages: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    config = settings.pop("config", {"model": "claude-sonnet-4-5"})
    request = ChatRequest(messages=messages, **settings)
    return request_form(request, module="provider-claude", config=config, model=None)


def tool_turn(result: str) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "Run it."},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_call", "id": "t1", "name": "python", "input": {"code": "x"}}
            ],
            "metadata": {"request_id": "req_1", "latency_ms": 812},
        },
        {"role": "tool", "tool_call_id": "t1", "content": result},
    ]


def test_what_varies_between_runs_of_a_tool_does_not_change_the_key() -> None:
    first = form(tool_turn("<object at 0x7f3a2b1c9d40> in /tmp/tmpab12cd/x.csv took 0.52 s"))
    second = form(tool_turn("<object at 0x7f00ffee1234> in /tmp/tmpzz99yy/x.csv took 1.03 s"))
    assert key_of(first) == key_of(second)
    assert key_of(form(tool_turn("a different result"))) != key_of(first)


def test_a_message_s_metadata_and_the_request_s_transport_settings_stay_out() -> None:
    plain = form(tool_turn("2"))
    other = tool_turn("2")
    other[1]["metadata"] = {"request_id": "req_2", "latency_ms": 3}
    assert key_of(form(other, stream=True, timeout=30.0, conversation_id="c1")) == key_of(plain)


def test_the_model_the_sampling_and_the_provider_s_answer_settings_count() -> None:
    base = form([{"role": "user", "content": "Hi"}])
    assert key_of(form([{"role": "user", "content": "Hi"}], temperature=0.2)) != key_of(base)
    other_model = form([{"role": "user", "content": "Hi"}], config={"model": "claude-opus-4-5"})
    assert key_of(other_model) != key_of(base)
    where = {"model": "claude-sonnet-4-5", "api_key": "sk-ant-secret", "base_url": "http://x"}
    same = form([{"role": "user", "content": "Hi"}], config={**where, "max_retries": 9})
    assert key_of(same) == key_of(base)
    assert "sk-ant-secret" not in str(same)


def test_image_data_enters_as_its_digest() -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR" * 100},
    }
    made = form([{"role": "user", "content": [{"type": "text", "text": "Look"}, image]}])
    source = made["request"]["messages"][0]["content"][1]["source"]
    assert source["data"].startswith("sha256:") and len(source["data"]) == 71


def test_normalise_text_keeps_what_the_model_reads_otherwise() -> None:
    assert normalise_text("mean 0.52, n=10") == "mean 0.52, n=10"
    assert normalise_text("at 2026-12-02T15:04:05Z") == "at <timestamp>"
    assert normalise_text("id 123e4567-e89b-12d3-a456-426614174000") == "id <uuid>"


def record_of(made: dict[str, Any], cell: int) -> Record:
    return Record(key=key_of(made), form=made, response={}, recorded="2026-12-01", cell=cell)


def test_the_difference_names_the_nearest_record_and_the_changed_message() -> None:
    asked = form([{"role": "user", "content": "What is 2 + 5?"}])
    records = [
        record_of(form([{"role": "user", "content": "What is 2 + 2?"}]), 3),
        record_of(form(tool_turn("2")), 4),
    ]
    line = difference(asked, records)
    assert line == (
        "the nearest record (cell [3]) differs in message 1 (user): 'What is 2 + 5?', "
        "recorded 'What is 2 + 2?'"
    )
    model = form(
        [{"role": "user", "content": "What is 2 + 2?"}], config={"model": "claude-opus-4-5"}
    )
    assert "differs in the model: 'claude-opus-4-5', recorded 'claude-sonnet-4-5'" in difference(
        model, records
    )
    assert difference(asked, []) == "nothing is on record"
