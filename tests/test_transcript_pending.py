"""events.jsonl gets its lines in one write per moment that matters, not one per event
(``transcripts/pending.py``): soon on the loop, at once before a tool and at a run's end."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import amplifier_jupyter.transcripts.pending as pending
from amplifier_jupyter.transcripts.pending import PendingLines
from amplifier_jupyter.transcripts.writer import SETTINGS, TranscriptWriter


class CountedFile:
    """A file handle that counts its writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writes = 0

    def write(self, text: str) -> None:
        self.writes += 1
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text)

    def flush(self) -> None:
        pass


def written(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CountedFile, PendingLines]:
    """Lines for a counted file, whose timer fires at the loop's next turns."""
    monkeypatch.setattr(pending, "WRITE_AFTER", 0)
    handle = CountedFile(tmp_path / "lines")
    return handle, PendingLines(lambda: handle)


async def next_turns() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_lines_kept_on_the_loop_reach_the_file_in_one_write_by_the_timer(
    kept: tuple[CountedFile, PendingLines],
) -> None:
    handle, lines = kept
    for i in range(5):
        lines.add(f"{i}\n")
    assert written(handle.path) == []  # kept, while the loop runs
    await next_turns()
    assert written(handle.path) == ["0", "1", "2", "3", "4"]
    assert handle.writes == 1


async def test_now_writes_everything_kept_in_order_and_the_timer_then_has_nothing(
    kept: tuple[CountedFile, PendingLines],
) -> None:
    handle, lines = kept
    lines.add("a\n")
    lines.add("b\n", now=True)
    assert written(handle.path) == ["a", "b"]
    await next_turns()
    assert handle.writes == 1


def test_where_no_loop_runs_each_line_is_written_at_once(tmp_path: Path) -> None:
    handle = CountedFile(tmp_path / "lines")
    lines = PendingLines(lambda: handle)
    lines.add("a\n")
    assert written(handle.path) == ["a"]
    lines.add("b\n")
    assert written(handle.path) == ["a", "b"]


def events(writer: TranscriptWriter) -> list[str]:
    return [json.loads(line)["event"] for line in written(writer.folder / "events.jsonl")]


async def test_a_tool_and_the_runs_end_write_at_once_and_the_end_of_the_session_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SETTINGS, "choice", True)
    writer = TranscriptWriter("kept", root=tmp_path)
    writer.start()
    data: dict[str, Any] = {"tool_name": "python"}
    writer.event("execution:start", {})
    writer.event("provider:request", {})
    assert events(writer) == []
    writer.event("tool:pre", data)  # the tool's code may hold the loop: written first
    assert events(writer) == ["execution:start", "provider:request", "tool:pre"]
    writer.event("tool:post", data)
    writer.event("execution:end", {})
    assert events(writer)[-2:] == ["tool:post", "execution:end"]
    writer.event("prompt:submit", {})
    writer.end()  # the session ended (a reset, the kernel's exit): nothing is left kept
    assert events(writer)[-1] == "prompt:submit"
