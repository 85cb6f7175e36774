"""messages.jsonl is appended to: only new messages are redacted and written, and a
rewritten conversation (rolled back, edited, compacted, reset, resumed) is caught and the
file cut back to where the two still agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import amplifier_jupyter.transcripts.messages_file as messages_file
from amplifier_jupyter.modules.context_notebook import NotebookContext
from amplifier_jupyter.redaction import REDACTED
from amplifier_jupyter.session.cell_turns import CellTurns
from amplifier_jupyter.transcripts.writer import SETTINGS, TranscriptWriter, sync_messages


@pytest.fixture
def writing(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(SETTINGS, "choice", True)
    yield


@pytest.fixture
def redacted(monkeypatch) -> list[int]:
    """How many messages each redaction of messages.jsonl's lines took in."""
    sizes: list[int] = []
    real = messages_file.redact

    def counted(value: Any) -> Any:
        sizes.append(len(value))
        return real(value)

    monkeypatch.setattr(messages_file, "redact", counted)
    return sizes


def turn(i: int, answer: str = "") -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"question {i}"},
        {"role": "assistant", "content": answer or f"answer {i}"},
    ]


def conversation(turns: int) -> list[dict[str, Any]]:
    return [m for i in range(turns) for m in turn(i)]


def lines(writer: TranscriptWriter) -> list[dict[str, Any]]:
    path = writer.folder / "messages.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_sync_redacts_and_appends_only_the_new_messages(
    tmp_path: Path, writing: None, redacted: list[int]
) -> None:
    writer = TranscriptWriter("grows", root=tmp_path)
    writer.start()
    path = writer.folder / "messages.jsonl"
    for turns in range(1, 30):
        before = path.read_bytes() if path.exists() else b""
        writer.messages(conversation(turns))
        assert path.read_bytes().startswith(before)
    assert lines(writer) == conversation(29)
    assert redacted == [2] * 29  # never the whole conversation again
    writer.messages(conversation(29))  # nothing new: nothing redacted, nothing written
    assert redacted == [2] * 29
    assert writer.metadata["turns"] == 29


@pytest.mark.parametrize(
    ("name", "rewritten", "kept_lines"),
    [
        ("rolled back", conversation(3), 6),
        ("the last turn replaced", conversation(4) + turn(4, "a new answer"), 9),
        ("edited in the middle", conversation(2) + turn(2, "edited") + conversation(5)[6:], 5),
        ("compacted", conversation(5)[4:], 0),
        ("reset", [], 0),
    ],
)
def test_a_rewritten_conversation_is_written_again_from_where_it_changed(
    tmp_path: Path, writing: None, redacted: list[int], name: str, rewritten: list, kept_lines: int
) -> None:
    writer = TranscriptWriter("rewritten", root=tmp_path)
    writer.start()
    writer.messages(conversation(5))
    path = writer.folder / "messages.jsonl"
    before = path.read_bytes()
    redacted.clear()
    writer.messages(rewritten)
    assert lines(writer) == rewritten, name
    kept = b"".join(before.splitlines(keepends=True)[:kept_lines])
    assert path.read_bytes().startswith(kept)
    assert sum(redacted) == len(rewritten) - kept_lines  # the kept lines are not redone
    writer.messages([*rewritten, *turn(9)])  # and it goes on appending from there
    assert lines(writer) == [*rewritten, *turn(9)]
    assert writer.metadata["turns"] == len(rewritten) // 2 + 1


def test_a_file_that_is_not_what_was_written_is_replaced_whole(
    tmp_path: Path, writing: None
) -> None:
    writer = TranscriptWriter("damaged", root=tmp_path)
    writer.start()
    writer.messages(conversation(3))
    path = writer.folder / "messages.jsonl"
    path.write_text(path.read_text()[:20])  # cut short behind the writer's back
    writer.messages(conversation(3)[:5])
    assert lines(writer) == conversation(3)[:5]


def test_a_resumed_transcript_goes_on_and_a_line_cut_off_by_a_kill_is_dropped(
    tmp_path: Path, writing: None, redacted: list[int]
) -> None:
    first = TranscriptWriter("resumed", root=tmp_path)
    first.start()
    first.messages(conversation(3))
    first.end()
    path = first.folder / "messages.jsonl"
    with path.open("a") as handle:
        handle.write('{"role": "user", "cont')  # the kernel died in the middle of a line
    again = TranscriptWriter("resumed", root=tmp_path)
    again.start()
    redacted.clear()
    again.messages(conversation(4))
    assert lines(again) == conversation(4)
    assert redacted == [2]  # what was on disk is recognised, not written again
    assert again.metadata["turns"] == 4


async def test_context_notebook_is_read_from_where_the_last_sync_left_off(
    tmp_path: Path, writing: None, redacted: list[int], monkeypatch
) -> None:
    fingerprinted: list[Any] = []
    real = messages_file.fingerprint
    monkeypatch.setattr(messages_file, "fingerprint", lambda m: fingerprinted.append(m) or real(m))
    context = NotebookContext({})
    session = SimpleNamespace(
        session_id="fast", coordinator=SimpleNamespace(get=lambda name: context)
    )
    writer = TranscriptWriter("fast", root=tmp_path)
    writer.start()
    for message in conversation(20):
        await context.add_message(message)
        await sync_messages(session, writer)
    assert lines(writer) == conversation(20)
    assert len(fingerprinted) == 40 and redacted == [1] * 40  # each message once, no rereads
    # A cell run again: its turn is taken back and a new one takes its place.
    cells = CellTurns()
    cells.record("cell-1", 38, await context.get_messages(), True)
    start, replaced = await cells.rewind(context, "cell-1")
    assert (start, replaced) == (38, True)
    for message in turn(19, "the re-run's answer"):
        await context.add_message(message)
    redacted.clear()
    await sync_messages(session, writer)
    assert lines(writer) == conversation(19) + turn(19, "the re-run's answer")
    assert redacted == [1]  # the re-run's prompt is the same: only the answer is new
    await context.clear()
    await sync_messages(session, writer)
    assert lines(writer) == []


async def test_nothing_is_read_when_transcripts_are_off(monkeypatch) -> None:
    monkeypatch.setattr(SETTINGS, "choice", False)

    class Unread:
        async def get_messages(self) -> list:
            raise AssertionError("the conversation was read with transcripts off")

    def get(name: str) -> Any:
        raise AssertionError(f"the session's {name} was looked up with transcripts off")

    session = SimpleNamespace(session_id="off", coordinator=SimpleNamespace(get=get))
    await sync_messages(session)
    writer = TranscriptWriter("off")
    await writer.sync(Unread())


def test_secrets_in_new_messages_are_redacted(tmp_path: Path, writing: None, monkeypatch) -> None:
    writer = TranscriptWriter("secret", root=tmp_path)
    writer.start()
    writer.messages(conversation(1))
    monkeypatch.setenv("LATE_SERVICE_TOKEN", "late-token-value-1234")
    writer.messages([*conversation(1), {"role": "user", "content": "use late-token-value-1234"}])
    assert lines(writer)[-1]["content"] == f"use {REDACTED}"


def test_a_live_sessions_turns_are_counted_in_its_messages_and_saved_at_its_end(
    tmp_path: Path, writing: None
) -> None:
    from amplifier_jupyter.transcripts.store import load_metadata, saved_sessions

    writer = TranscriptWriter("counted", root=tmp_path)
    writer.start()
    writer.messages(conversation(3))
    # No metadata write per turn: the file still says what the start wrote.
    assert load_metadata("counted", tmp_path)["turns"] == 0
    [live] = saved_sessions(tmp_path)
    assert live.metadata["state"] == "live" and live.turns == 3
    writer.end()
    assert load_metadata("counted", tmp_path)["turns"] == 3
    [ended] = saved_sessions(tmp_path)
    assert ended.metadata["state"] == "ended" and ended.turns == 3
