"""Writing transcripts: each session's events and messages appended as they happen.

Lines are written and flushed as they happen, so a kernel that dies keeps
everything up to its last event; everything is redacted before it is written.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from amplifier_jupyter.images import omit_image_data
from amplifier_jupyter.redaction import redact
from amplifier_jupyter.transcripts.store import (
    count_turns,
    ensure_amplifier_dir,
    load_messages,
    load_metadata,
    sessions_dir,
)

HOOK_NAME = "notebook-transcript"
# After these events the conversation may have grown: write the new messages.
MESSAGE_EVENTS = frozenset(
    {
        "provider:request",
        "provider:response",
        "tool:pre",
        "tool:post",
        "tool:error",
        "orchestrator:complete",
        "execution:end",
        "session:end",
    }
)


class _Settings:
    """Whether transcripts are written (``%amplifier transcripts on|off``).

    By default they are written inside an IPython kernel, where there is a
    notebook to write them beside, and not in plain Python (scripts, unit
    tests); ``AMPLIFIER_JUPYTER_TRANSCRIPTS=on|off`` decides for both.
    """

    def __init__(self) -> None:
        value = os.environ.get("AMPLIFIER_JUPYTER_TRANSCRIPTS", "").strip().lower()
        self.choice: bool | None = None
        if value in ("1", "on", "true", "yes"):
            self.choice = True
        elif value in ("0", "off", "false", "no"):
            self.choice = False

    @property
    def enabled(self) -> bool:
        """Whether to write now."""
        if self.choice is not None:
            return self.choice
        from IPython import get_ipython

        return get_ipython() is not None


SETTINGS = _Settings()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat()


class TranscriptWriter:
    """Appends one session's messages and events to its folder, flushed per line."""

    def __init__(
        self,
        session_id: str,
        *,
        parent_id: str | None = None,
        name: str | None = None,
        plan: dict[str, Any] | None = None,
        root: Path | None = None,
    ) -> None:
        self.session_id = session_id
        self.folder = sessions_dir(root) / session_id
        self.root = root or Path.cwd()
        self.metadata: dict[str, Any] = {
            "session_id": session_id,
            "parent_id": parent_id,
            "name": name,
            "created": _now(),
            "updated": _now(),
            "cwd": str(self.root),
            "plan": redact(plan) if plan is not None else None,
            "turns": 0,
            "state": "live",
        }
        self._written: list[str] = []
        self._files: dict[str, Any] = {}
        self.ended = False

    def _open(self, name: str) -> Any:
        handle = self._files.get(name)
        if handle is None:
            ensure_amplifier_dir(self.root)
            self.folder.mkdir(parents=True, exist_ok=True)
            handle = open(self.folder / name, "a", encoding="utf-8")  # noqa: SIM115
            self._files[name] = handle
        return handle

    def start(self) -> None:
        """Create the folder and metadata; continue an existing transcript (a resume)."""
        if not SETTINGS.enabled:
            return
        existing = load_metadata(self.session_id, self.root)
        if existing is not None:
            keep = ("created", "name", "parent_id", "plan", "turns")
            self.metadata.update({k: existing[k] for k in keep if existing.get(k) is not None})
            self._written = [
                json.dumps(m, sort_keys=True) for m in load_messages(self.session_id, self.root)
            ]
        self.metadata["state"] = "live"
        self._save_metadata()

    def _save_metadata(self) -> None:
        ensure_amplifier_dir(self.root)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.metadata["updated"] = _now()
        temporary = self.folder / "metadata.json.tmp"
        temporary.write_text(json.dumps(self.metadata, indent=2), encoding="utf-8")
        temporary.replace(self.folder / "metadata.json")

    def event(self, event: str, data: dict[str, Any]) -> None:
        """Append one event."""
        if not SETTINGS.enabled or self.ended:
            return
        # An image is stored once, with the messages; an event (a tool's result) names it.
        record = {
            "ts": data.get("timestamp") or _now(),
            "event": event,
            "data": redact(omit_image_data(data)),
        }
        handle = self._open("events.jsonl")
        handle.write(json.dumps(record) + "\n")
        handle.flush()

    def messages(self, messages: list[dict[str, Any]]) -> None:
        """Bring messages.jsonl up to the conversation: append what is new.

        If the conversation is no longer an extension of what was written (set
        back, edited), the file is rewritten to match it.
        """
        if not SETTINGS.enabled or self.ended:
            return
        lines = [json.dumps(m, sort_keys=True) for m in redact(messages)]
        written = self._written
        if lines[: len(written)] == written:
            new = lines[len(written) :]
            if new:
                handle = self._open("messages.jsonl")
                handle.write("".join(line + "\n" for line in new))
                handle.flush()
        else:
            handle = self._files.pop("messages.jsonl", None)
            if handle is not None:
                handle.close()
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / "messages.jsonl.tmp"
            temporary.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            temporary.replace(self.folder / "messages.jsonl")
        self._written = lines
        turns = count_turns(messages)
        if turns != self.metadata.get("turns"):
            self.metadata["turns"] = turns
            self._save_metadata()

    def end(self, state: str = "ended") -> None:
        """The session ended: mark it and close the files."""
        if self.ended:
            return
        if SETTINGS.enabled:
            self.metadata["state"] = state
            with contextlib.suppress(OSError):
                self._save_metadata()
        self.ended = True
        for handle in self._files.values():
            handle.close()
        self._files.clear()


_WRITERS: dict[str, TranscriptWriter] = {}


def live_writers() -> list[TranscriptWriter]:
    """Writers of sessions that have not ended (for the exit fallback)."""
    return [w for w in _WRITERS.values() if not w.ended]


def attach_transcript(
    session: Any, plan: dict[str, Any], *, name: str | None = None
) -> TranscriptWriter:
    """Record ``session``'s events and messages (call before ``initialize()``)."""
    from amplifier_core import HookResult
    from amplifier_core.events import ALL_EVENTS

    writer = TranscriptWriter(session.session_id, parent_id=session.parent_id, name=name, plan=plan)
    writer.start()
    _WRITERS[session.session_id] = writer
    coordinator = session.coordinator

    async def record(event: str, data: dict[str, Any]) -> Any:
        try:
            writer.event(event, data)
            if event in MESSAGE_EVENTS:
                await sync_messages(session, writer)
            if event == "session:end":
                writer.end()
        except Exception:  # a full disk must not stop the agent
            pass
        return HookResult()

    for event in ALL_EVENTS:
        coordinator.hooks.register(event, record, priority=999, name=HOOK_NAME)
    return writer


async def sync_messages(session: Any, writer: TranscriptWriter | None = None) -> None:
    """Write the conversation's new messages now."""
    writer = writer or _WRITERS.get(session.session_id)
    context = session.coordinator.get("context")
    if writer is None or context is None:
        return
    writer.messages(await context.get_messages())
