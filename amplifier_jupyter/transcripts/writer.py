"""Writing transcripts: each session's events and messages appended as they happen.

Lines are written and flushed as they happen, so a kernel that dies keeps
everything up to its last event (streamed deltas are held back until their block
ends: ``transcripts.deltas``); everything is redacted before it is written, and
only what is written is redacted. ``messages.jsonl`` gains only the new messages
at each sync, and is cut back and written again from the first message that
changed when the conversation was rewritten (``transcripts.messages_file``).
``metadata.json`` is written when the session starts and when it ends; a live
session's turns are counted in its messages (``SavedSession.turns``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from amplifier_jupyter.modules.context_notebook import NotebookContext
from amplifier_jupyter.redaction import redact
from amplifier_jupyter.transcripts.deltas import Deltas, is_delta
from amplifier_jupyter.transcripts.messages_file import MessagesFile
from amplifier_jupyter.transcripts.store import (
    ensure_amplifier_dir,
    load_metadata,
    sessions_dir,
)

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
        self._get_ipython: Any = None

    @property
    def enabled(self) -> bool:
        """Whether to write now (asked at every event: IPython's ``get_ipython`` is looked
        up once, not imported each time)."""
        if self.choice is not None:
            return self.choice
        if self._get_ipython is None:
            from IPython import get_ipython

            self._get_ipython = get_ipython
        return self._get_ipython() is not None


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
        self._messages = MessagesFile(self.folder)
        # The context and its revision when messages.jsonl last matched it (see sync()).
        self._synced: tuple[Any, int] | None = None
        self._deltas = Deltas()
        self._events: Any = None
        self._folder_made = False
        self.ended = False

    def _make_folder(self) -> None:
        """``.amplifier/`` with its ``.gitignore``, and the session's folder (once)."""
        if not self._folder_made:
            ensure_amplifier_dir(self.root)
            self.folder.mkdir(parents=True, exist_ok=True)
            self._folder_made = True

    def _events_file(self) -> Any:
        if self._events is None:
            self._make_folder()
            self._events = open(self.folder / "events.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        return self._events

    def start(self) -> None:
        """Create the folder and metadata; continue an existing transcript (a resume)."""
        if not SETTINGS.enabled:
            return
        existing = load_metadata(self.session_id, self.root)
        if existing is not None:
            keep = ("created", "name", "parent_id", "plan", "turns")
            self.metadata.update({k: existing[k] for k in keep if existing.get(k) is not None})
            self._messages.load()
        self.metadata["state"] = "live"
        self._save_metadata()

    def _save_metadata(self) -> None:
        self._make_folder()
        self.metadata["updated"] = _now()
        temporary = self.folder / "metadata.json.tmp"
        temporary.write_text(json.dumps(self.metadata, indent=2), encoding="utf-8")
        temporary.replace(self.folder / "metadata.json")

    def event(self, event: str, data: dict[str, Any]) -> None:
        """Append one event (a streamed delta is held back: ``transcripts.deltas``)."""
        if not SETTINGS.enabled or self.ended:
            return
        ts = data.get("timestamp") or _now()
        if is_delta(event):
            self._deltas.add(event, data, ts)
            return
        records = self._deltas.flush(event, data)
        records.append({"ts": ts, "event": event, "data": data})
        self._write_events(records)

    def _write_events(self, records: list[dict[str, Any]]) -> None:
        # Images leave their data out (it is in messages.jsonl), in redaction's walk. A write
        # and a flush a line cost about a microsecond here (the page cache): keeping lines
        # back to write them together saved nothing worth a lost line.
        lines = [
            json.dumps({**r, "data": redact(r["data"], omit_images=True)}) + "\n" for r in records
        ]
        handle = self._events_file()
        handle.write("".join(lines))
        handle.flush()

    def messages(self, messages: list[dict[str, Any]]) -> None:
        """Bring messages.jsonl up to the conversation: append what is new.

        If the conversation is no longer an extension of what was written (set
        back, edited), the file is cut back to where they agree and goes on from there.
        """
        if not SETTINGS.enabled or self.ended:
            return
        self._synced = None
        self._make_folder()
        self._messages.sync(messages)
        self._count_turns()

    async def sync(self, context: Any) -> None:
        """Bring messages.jsonl up to ``context``'s conversation.

        context-notebook's ``revision``, when it is the one seen at the last sync, says
        the conversation only grew since: its new messages are taken from its
        ``snapshot()``, and only they are redacted and written. Any other context is
        read whole and compared (``MessagesFile.sync``).
        """
        pending = self.sync_now(context)
        if pending is not None:
            await pending

    def sync_now(self, context: Any) -> Awaitable[None] | None:
        """:meth:`sync`, done at once for context-notebook (read without awaiting); for any
        other context, an awaitable that reads and writes it."""
        if not SETTINGS.enabled or self.ended:
            return None
        if not isinstance(context, NotebookContext):
            return self._sync_other(context)
        self._make_folder()
        synced, revision = self._synced, context.revision
        if synced is not None and synced[0] is context and synced[1] == revision:
            self._messages.append(context.snapshot(self._messages.count))
        else:
            self._messages.sync(context.snapshot())
        self._synced = (context, revision)
        self._count_turns()
        return None

    async def _sync_other(self, context: Any) -> None:
        self.messages(await context.get_messages())

    def _count_turns(self) -> None:
        # Saved with the metadata at the end (a write and a rename per turn: about 0.25 ms);
        # until then the listing counts a live session's turns in messages.jsonl.
        self.metadata["turns"] = self._messages.turns

    def end(self, state: str = "ended") -> None:
        """The session ended: mark it and close the files."""
        if self.ended:
            return
        if SETTINGS.enabled:
            held_back = self._deltas.flush()
            if held_back:
                with contextlib.suppress(OSError):
                    self._write_events(held_back)
            self.metadata["state"] = state
            with contextlib.suppress(OSError):
                self._save_metadata()
        self.ended = True
        self._synced = None  # the context, and the conversation in it, may go
        self._messages.close()
        if self._events is not None:
            self._events.close()
            self._events = None


_WRITERS: dict[str, TranscriptWriter] = {}


def live_writers() -> list[TranscriptWriter]:
    """Writers of sessions that have not ended (for the exit fallback)."""
    return [w for w in _WRITERS.values() if not w.ended]


def attach_transcript(
    session: Any, plan: dict[str, Any], *, name: str | None = None
) -> Callable[[str, dict[str, Any]], Awaitable[None] | None]:
    """Start ``session``'s transcript (call before ``initialize()``: it must see
    ``session:fork``); returns what records one event, for the host's one hook
    (``session/host_hook.py``), which calls it with every event.

    After the events that may have grown the conversation it writes the new
    messages too: at once from context-notebook, or in the awaitable it returns
    for any other context; otherwise it returns None. Its failures are
    swallowed: a full disk must not stop the agent.
    """
    writer = TranscriptWriter(session.session_id, parent_id=session.parent_id, name=name, plan=plan)
    writer.start()
    for ended in [key for key, other in _WRITERS.items() if other.ended]:
        del _WRITERS[ended]  # what they held (fingerprints of a conversation) can go
    _WRITERS[session.session_id] = writer

    def record(event: str, data: dict[str, Any]) -> Awaitable[None] | None:
        with contextlib.suppress(Exception):
            writer.event(event, data)
        if event not in MESSAGE_EVENTS:
            return None
        pending: Awaitable[None] | None = None
        with contextlib.suppress(Exception):
            pending = _sync_now(session, writer)
        if pending is not None:
            return _then_end(pending, writer, event)
        if event == "session:end":
            writer.end()
        return None

    return record


async def _then_end(pending: Awaitable[None], writer: TranscriptWriter, event: str) -> None:
    """Await a sync that had to read its context; end the writer after ``session:end``."""
    with contextlib.suppress(Exception):
        await pending
    if event == "session:end":
        writer.end()


def _sync_now(session: Any, writer: TranscriptWriter) -> Awaitable[None] | None:
    """Write the conversation's new messages now where they can be read at once; else an
    awaitable that writes them (see :meth:`TranscriptWriter.sync_now`)."""
    if not SETTINGS.enabled:
        return None
    context = session.coordinator.get("context")
    return writer.sync_now(context) if context is not None else None


async def sync_messages(session: Any, writer: TranscriptWriter | None = None) -> None:
    """Write the conversation's new messages now (nothing is read when transcripts are off)."""
    if not SETTINGS.enabled:
        return
    writer = writer or _WRITERS.get(session.session_id)
    context = session.coordinator.get("context")
    if writer is None or context is None:
        return
    await writer.sync(context)
