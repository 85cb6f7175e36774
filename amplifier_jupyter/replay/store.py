"""The record file: beside the notebook, one model call per line.

``NAME.ipynb.amplifier-replay.jsonl`` next to ``NAME.ipynb``, so that committing the two
lets another checkout replay the notebook (``.amplifier/``, where transcripts go, is
kept out of git as a whole). Each line is one call's JSON with sorted keys: ``key``,
``form`` (what the key is made of: :func:`..key.request_form`), ``response`` (the
provider's ``ChatResponse``), ``recorded`` (the day), ``cost_usd`` (what the call cost
then, or null), ``cell`` (the execution count it was recorded in). New calls are
appended in the order they were made; ``--fresh`` replaces a call's line where it is.
Nothing in a line depends on the time but ``recorded``, which is not in the key. Secrets
are redacted from ``form`` and ``response`` as from a transcript.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIX = ".amplifier-replay.jsonl"
# Where the file goes when the kernel cannot name its notebook and none is here yet.
FALLBACK_NAME = "amplifier-replay.jsonl"


def record_path_for(notebook: Path) -> Path:
    """The record file of ``notebook``."""
    return notebook.with_name(notebook.name + SUFFIX)


@dataclass(frozen=True)
class Record:
    """One recorded call."""

    key: str
    form: dict[str, Any]
    response: dict[str, Any]
    recorded: str
    cost_usd: str | None = None
    cell: int | None = None

    def line(self) -> str:
        data = {
            "key": self.key,
            "form": self.form,
            "response": self.response,
            "recorded": self.recorded,
            "cost_usd": self.cost_usd,
            "cell": self.cell,
        }
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_line(cls, text: str) -> Record:
        data = json.loads(text)
        return cls(
            key=str(data["key"]),
            form=dict(data["form"]),
            response=dict(data["response"]),
            recorded=str(data.get("recorded") or ""),
            cost_usd=data.get("cost_usd"),
            cell=data.get("cell"),
        )


class ReplayFileError(ValueError):
    """The record file cannot be read (the message says which line and what to do)."""


class RecordFile:
    """The calls of one record file, read once, written through."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: dict[str, Record] = {}
        self._order: list[str] = []
        self._loaded_stat: tuple[int, int] | None = None

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def load(self) -> None:
        """Read the file (again, if it changed on disk since)."""
        stat = self._stat()
        if stat is not None and stat == self._loaded_stat:
            return
        records: dict[str, Record] = {}
        order: list[str] = []
        if stat is not None:
            for number, text in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
                if not text.strip():
                    continue
                try:
                    record = Record.from_line(text)
                except (ValueError, KeyError, TypeError) as error:
                    raise ReplayFileError(
                        f"{self.path.name} line {number} is not a recorded call ({error}): "
                        "fix or delete that line, or the file"
                    ) from None
                if record.key not in records:
                    order.append(record.key)
                records[record.key] = record
        self._records, self._order, self._loaded_stat = records, order, stat

    def __len__(self) -> int:
        return len(self._order)

    def get(self, key: str) -> Record | None:
        return self._records.get(key)

    def records(self) -> list[Record]:
        return [self._records[key] for key in self._order]

    def put(self, record: Record) -> None:
        """Append a new call; a call already on record is replaced where it is."""
        self.load()
        if record.key in self._records:
            self._records[record.key] = record
            self._rewrite()
            return
        self._records[record.key] = record
        self._order.append(record.key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(record.line() + "\n")
        self._loaded_stat = self._stat()

    def _rewrite(self) -> None:
        text = "".join(self._records[key].line() + "\n" for key in self._order)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, self.path)
        self._loaded_stat = self._stat()
