"""Streamed deltas reach events.jsonl as one line per stream, never one line per token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kernel_harness import Kernel, offline_env, ok

import amplifier_jupyter.transcripts.writer as writer_module
from amplifier_jupyter.redaction import REDACTED
from amplifier_jupyter.transcripts.writer import SETTINGS, TranscriptWriter

KEY = "sk-ant-api03-" + "q" * 30


@pytest.fixture
def writer(tmp_path: Path, monkeypatch) -> Iterator[TranscriptWriter]:
    monkeypatch.setattr(SETTINGS, "choice", True)
    writer = TranscriptWriter("streams", root=tmp_path)
    writer.start()
    yield writer
    writer.end()


def events(writer: TranscriptWriter) -> list[dict[str, Any]]:
    path = writer.folder / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def stream(writer: TranscriptWriter, text: str, *, index: int = 0, kind: str = "text") -> None:
    """A provider's block, a word at a time, without its end."""
    base = {"provider": "p", "block_index": index, "block_type": kind}
    writer.event("content_block:start", dict(base))
    for i, word in enumerate(text.split(" ")):
        piece = word if i == 0 else " " + word
        writer.event("content_block:delta", {**base, "delta": piece, "timestamp": f"t{i}"})
        if kind == "thinking":
            writer.event("thinking:delta", {**base, "delta": piece})


def test_a_finished_block_is_one_line_of_counts_its_end_has_the_text(
    writer: TranscriptWriter, monkeypatch
) -> None:
    redacted: list[Any] = []
    real = writer_module.redact
    monkeypatch.setattr(
        writer_module, "redact", lambda v, **how: redacted.append(v) or real(v, **how)
    )
    text = " ".join(f"word{i}" for i in range(5000))
    stream(writer, text)
    block = {"type": "text", "text": text}
    writer.event("content_block:end", {"provider": "p", "block_index": 0, "block": block})
    writer.event("provider:response", {"usage": {"input_tokens": 3}})
    written = events(writer)
    assert [e["event"] for e in written] == [
        "content_block:start",
        "content_block:delta",
        "content_block:end",
        "provider:response",
    ]
    deltas = written[1]
    assert deltas["deltas"] == {"count": 5000, "chars": len(text), "last_ts": "t4999"}
    assert deltas["ts"] == "t0" and "delta" not in deltas["data"]
    first = {"provider": "p", "block_index": 0, "block_type": "text", "timestamp": "t0"}
    assert deltas["data"] == first  # the first delta's, without its piece
    assert written[2]["data"]["block"]["text"] == text
    assert len(redacted) == 4  # what is written, not every delta
    assert (writer.folder / "events.jsonl").stat().st_size < 3 * len(text)


def test_a_block_cut_off_keeps_what_came_redacted_whole(writer: TranscriptWriter) -> None:
    base = {"provider": "p", "block_index": 0, "block_type": "text"}
    # The key comes in two pieces: neither looks like a key, the two together do.
    for piece in ("the key ", KEY[:10], KEY[10:], " and more"):
        writer.event("content_block:delta", {**base, "delta": piece})
    writer.event("provider:error", {"error": "stopped"})
    cut, error = events(writer)
    assert cut["event"] == "content_block:delta" and cut["deltas"]["count"] == 4
    assert cut["data"]["delta"] == f"the key {REDACTED} and more"
    assert error["event"] == "provider:error"


def test_thinking_streams_and_non_text_pieces_are_lines_of_their_own(
    writer: TranscriptWriter,
) -> None:
    stream(writer, "let me think", kind="thinking")
    base = {"provider": "p", "block_index": 0}
    writer.event("content_block:end", {**base, "block": {"type": "thinking"}})
    stream(writer, "x", index=1, kind="tool_call")
    writer.event("content_block:delta", {**base, "block_index": 1, "delta": {"json": "{}"}})
    writer.end()
    written = events(writer)
    names = [(e["event"], e["data"].get("block_index")) for e in written]
    assert names == [
        ("content_block:start", 0),
        ("content_block:delta", 0),
        ("thinking:delta", 0),
        ("content_block:end", 0),
        ("content_block:start", 1),
        ("content_block:delta", 1),  # held back to the end, with what came
    ]
    assert written[2]["deltas"]["count"] == 3 and "delta" not in written[2]["data"]
    assert written[5]["data"]["delta"] == ["x", {"json": "{}"}]
    assert written[5]["deltas"]["chars"] is None


def test_a_long_streamed_answer_leaves_a_small_events_file(tmp_path: Path) -> None:
    words = 3000
    answer = " ".join(f"w{i % 50}" for i in range(words))
    env = offline_env(AMPLIFIER_JUPYTER_TRANSCRIPTS="on")
    with Kernel(env=env, cwd=str(tmp_path)) as kernel:
        ok(
            kernel,
            "%load_ext amplifier_jupyter\n"
            "from amplifier_jupyter.session.plans import scripted_plan\n"
            f"plan = scripted_plan([{answer!r}, {{'thinking': 'hmm, well', 'text': 'Short.'}}])\n"
            "plan['tools'] = []\n"
            # A delta per word (the provider coalesces none), as a provider that does not.
            "plan['providers'][0]['config']['delta_interval'] = 0\n"
            "%amplifier config plan\n"
            "from amplifier_jupyter.session.kernel import kernel_session\n"
            "deltas = []\n"
            "kernel_session().add_listener("
            "lambda e, d: deltas.append(e) if e.endswith(':delta') else None)",
        )
        assert ok(kernel, "%%amplifier\nA long answer.").markdown == [answer]
        assert ok(kernel, "%%amplifier\nAnd a short one.").markdown == ["Short."]
        assert ok(kernel, "print(len(deltas))").stdout.strip() == str(words + 2 + 2 + 1)
        session_id = ok(kernel, "print(kernel_session().session.session_id)").stdout.strip()
        ok(kernel, "%amplifier save out.json")
        ok(kernel, "%amplifier reset")
    where = tmp_path / ".amplifier" / "sessions" / session_id / "events.jsonl"
    written = [json.loads(line) for line in where.read_text().splitlines()]
    coalesced = [e for e in written if e["event"].endswith(":delta")]
    assert [(e["event"], e["deltas"]["count"]) for e in coalesced] == [
        ("content_block:delta", words),
        ("content_block:delta", 2),
        ("thinking:delta", 2),
        ("content_block:delta", 1),
    ]
    assert len(written) < 60 and where.stat().st_size < 3 * len(answer)
    exported = json.loads((tmp_path / "out.json").read_text())
    assert [e["event"] for e in exported["events"]] == [e["event"] for e in written][
        : len(exported["events"])
    ]
