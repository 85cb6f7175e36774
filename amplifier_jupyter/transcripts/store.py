"""The saved-session store: where transcripts live and reading them back.

Each session has a folder ``.amplifier/sessions/<session_id>/`` in the kernel's
working directory (the layout is in ``amplifier_jupyter.transcripts``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError

AMPLIFIER_DIR = ".amplifier"
SESSIONS_DIR = "sessions"


def amplifier_dir(root: Path | None = None) -> Path:
    """``.amplifier/`` in ``root`` (default: the kernel's working directory)."""
    return (root or Path.cwd()) / AMPLIFIER_DIR


def sessions_dir(root: Path | None = None) -> Path:
    """Where the sessions' folders are."""
    return amplifier_dir(root) / SESSIONS_DIR


def ensure_amplifier_dir(root: Path | None = None) -> Path:
    """Create ``.amplifier/`` with a ``.gitignore`` that keeps all of it out of git."""
    folder = amplifier_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Session transcripts of amplifier-jupyter: local only.\n*\n")
    return folder


def count_turns(messages: list[dict[str, Any]]) -> int:
    """How many turns a conversation has: its prompts."""
    return sum(1 for m in messages if m.get("role") == "user" and is_prompt(m))


def is_prompt(message: dict[str, Any]) -> bool:
    """A user message that opens a turn (tool results ride in user messages too)."""
    content = message.get("content")
    if isinstance(content, str):
        return True
    if isinstance(content, list):
        return not any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    return True


@dataclass
class SavedSession:
    """A session found under ``.amplifier/sessions``."""

    session_id: str
    metadata: dict[str, Any]
    folder: Path

    @property
    def parent_id(self) -> str | None:
        """The parent's id, for children."""
        return self.metadata.get("parent_id")

    @property
    def turns(self) -> int:
        """Its prompts. The metadata says so once the session ended; a live one's (or one
        left live by a kernel that died) is written at its start and end only, so its
        turns are counted in ``messages.jsonl``."""
        if self.metadata.get("state") == "live":
            return count_turns(list(_read_jsonl(self.folder / "messages.jsonl")))
        return int(self.metadata.get("turns") or 0)


def load_metadata(session_id: str, root: Path | None = None) -> dict[str, Any] | None:
    """A saved session's metadata, or None."""
    path = sessions_dir(root) / session_id / "metadata.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        # A kernel killed mid-write leaves at most one broken last line.
        with contextlib.suppress(ValueError):
            yield json.loads(line)


def load_messages(session_id: str, root: Path | None = None) -> list[dict[str, Any]]:
    """A saved session's conversation."""
    return list(_read_jsonl(sessions_dir(root) / session_id / "messages.jsonl"))


def load_events(session_id: str, root: Path | None = None) -> list[dict[str, Any]]:
    """A saved session's events (``{"ts", "event", "data"}`` records)."""
    return list(_read_jsonl(sessions_dir(root) / session_id / "events.jsonl"))


def saved_sessions(root: Path | None = None) -> list[SavedSession]:
    """Every saved session of this directory, oldest first."""
    folder = sessions_dir(root)
    found = []
    if folder.is_dir():
        for entry in folder.iterdir():
            metadata = load_metadata(entry.name, root) if entry.is_dir() else None
            if metadata is not None:
                found.append(SavedSession(entry.name, metadata, entry))
    found.sort(key=lambda s: s.metadata.get("created") or "")
    return found


def find_saved(prefix: str, root: Path | None = None) -> SavedSession:
    """The saved session whose id is (or starts with) ``prefix``; one line if none or many."""
    prefix = prefix.strip()
    sessions = saved_sessions(root)
    exact = [s for s in sessions if s.session_id == prefix]
    matches = exact or [s for s in sessions if prefix and s.session_id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    where = sessions_dir(root)
    if not matches:
        raise AmplifierUserError(
            f"no saved session {prefix!r} in {where}: %amplifier sessions --all lists them"
        )
    raise AmplifierUserError(
        f"{len(matches)} saved sessions start with {prefix!r}: give more of the id"
    )
