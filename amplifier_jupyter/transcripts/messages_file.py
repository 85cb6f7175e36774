"""``messages.jsonl``: the conversation, one message a line, appended to as it grows.

The file remembers, per line written, a fingerprint of the message it came from
(a hash of its JSON, unredacted) and where the line ends, not the lines
themselves. Bringing the file up to a conversation (:meth:`MessagesFile.sync`)
compares fingerprints, finds the first message that differs from what was
written (a reset, a resume, a rolled-back turn, a compaction, a re-run cell that
replaced its turn), cuts the file there and appends from there; when nothing
differs only the new messages are redacted and written. When the caller knows the
conversation only grew since (context-notebook's ``revision``), :meth:`append`
skips even the comparison.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from amplifier_jupyter.redaction import redact
from amplifier_jupyter.transcripts.store import count_turns

NAME = "messages.jsonl"


def fingerprint(message: Any) -> int:
    """A hash of the message's content: equal messages, equal fingerprints."""
    try:
        text = json.dumps(message, sort_keys=True, default=str)
    except (TypeError, ValueError):  # keys of mixed types, a cycle
        text = repr(message)
    return hash(text)


class MessagesFile:
    """One session's ``messages.jsonl``: what is in it, and bringing it up to date."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / NAME
        self._fingerprints: list[int] = []
        self._ends: list[int] = []  # the byte offset after each line
        self.turns = 0  # prompts among the messages written
        self._handle: Any = None

    @property
    def count(self) -> int:
        """How many messages the file holds."""
        return len(self._fingerprints)

    def load(self) -> None:
        """Take in what the file already holds (a resumed session's); a broken line is skipped."""
        self._fingerprints, self._ends, messages = [], [], []
        try:
            data = self.path.read_bytes()
        except OSError:
            data = b""
        end = 0
        for line in data.splitlines(keepends=True):
            end += len(line)
            if not line.endswith(b"\n"):
                break  # cut off by a kill mid-write: dropped at the next write
            try:
                message = json.loads(line)
            except ValueError:
                continue
            messages.append(message)
            self._fingerprints.append(fingerprint(message))
            self._ends.append(end)
        self.turns = count_turns(messages)

    def append(self, messages: list[dict[str, Any]]) -> None:
        """Write ``messages``, known to follow what was written."""
        if not messages:
            return
        lines = [json.dumps(m, sort_keys=True) + "\n" for m in redact(messages)]
        handle = self._open()
        handle.write("".join(lines))
        handle.flush()
        end = self._ends[-1] if self._ends else 0
        for message, line in zip(messages, lines, strict=True):
            self._fingerprints.append(fingerprint(message))
            end += len(line)  # json.dumps writes ASCII: a character is a byte
            self._ends.append(end)
        self.turns += count_turns(messages)

    def sync(self, messages: list[dict[str, Any]]) -> None:
        """Make the file hold ``messages``: the lines from the first one that differs on are
        written again (none when the conversation only grew)."""
        same = 0
        for message, written in zip(messages, self._fingerprints, strict=False):
            if fingerprint(message) != written:
                break
            same += 1
        keep = self._ends[same - 1] if same else 0
        size = self._size()
        if same == self.count and size == keep:
            self.append(messages[same:])
        elif same and size >= keep:
            self.close()
            os.truncate(self.path, keep)  # a kill now leaves the conversation's start
            del self._fingerprints[same:], self._ends[same:]
            self.turns = count_turns(messages[:same])
            self.append(messages[same:])
        else:  # nothing to keep, or the file is not what was written: replaced whole
            self._replace(messages)

    def close(self) -> None:
        """Close the file (the next write opens it again)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _open(self) -> Any:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        return self._handle

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def _replace(self, messages: list[dict[str, Any]]) -> None:
        """The file holds ``messages`` only, all at once (a kill leaves the old or the new)."""
        self.close()
        lines = [json.dumps(m, sort_keys=True) + "\n" for m in redact(messages)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(NAME + ".tmp")
        temporary.write_text("".join(lines), encoding="utf-8")
        temporary.replace(self.path)
        self._fingerprints = [fingerprint(m) for m in messages]
        self._ends, end = [], 0
        for line in lines:
            end += len(line)  # json.dumps writes ASCII: a character is a byte
            self._ends.append(end)
        self.turns = count_turns(messages)
