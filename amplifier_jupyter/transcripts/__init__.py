"""Transcripts: every session's messages and events as JSONL beside the notebook.

Layout (the kernel's working directory is the notebook's directory)::

    .amplifier/.gitignore                  "*": transcripts stay out of git
    .amplifier/sessions/<session_id>/
        metadata.json                      id, parent, name, plan (redacted), turns, state
        messages.jsonl                     the conversation, one message a line
        events.jsonl                       every event, one a line

Lines are written and flushed as they happen, so a kernel that dies keeps
everything up to its last event. Secrets are redacted before anything is
written: known secret keys (amplifier-core's ``redact_secrets``), strings
that look like API keys or tokens, the quoted values of secret-named keys
inside text, and the values of secret-looking environment variables. What
the magics show goes through the same redaction (``ui.view.shown``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AMPLIFIER_DIR = ".amplifier"
SESSIONS_DIR = "sessions"
REDACTED = "[REDACTED]"
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
_SECRET_PATTERNS = re.compile(
    r"sk-ant-[A-Za-z0-9_\-]{8,}"
    r"|sk-[A-Za-z0-9_\-]{20,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=\-]{12,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abprs]-[A-Za-z0-9\-]{10,}"
    r"|AKIA[0-9A-Z]{16}"
)
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.IGNORECASE)
# Key names whose string values are secrets, beyond amplifier-core's exact list
# (``auth_token``, ``x-api-key``, ``clientSecret``); ``max_tokens`` and the like stay.
_SECRET_KEY = re.compile(
    r"(^|_)(api_?key|token|secret|password|passwd|private_?key|credentials?|authorization)$"
)
# A secret-named key with a quoted value inside text, as an error quoting a config has it:
# ``{'api_key': 'abc'}``, ``"token": "abc"``, ``password='abc'`` (the key is checked
# with ``_secret_key``). Possessive, and starting only at a word's start: linear time.
_KEYED_VALUE = re.compile(
    r"""(?<![\w\-])(?P<key>[A-Za-z][\w\-]*+)["']?\s*[:=]\s*(?P<quote>["'])(?P<value>[^"'\n]*+)(?P=quote)"""
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


# -- redaction -----------------------------------------------------------


def _secret_env_values() -> list[str]:
    values = [
        value for name, value in os.environ.items() if _SECRET_ENV.search(name) and len(value) >= 8
    ]
    # Longest first, so a value containing another is replaced whole.
    return sorted(set(values), key=len, reverse=True)


def redact_text(text: str, env_values: list[str] | None = None) -> str:
    """A string with API keys, tokens, secret environment values and the quoted values
    of secret-named keys (``'api_key': '...'``) replaced."""
    for value in _secret_env_values() if env_values is None else env_values:
        if value in text:
            text = text.replace(value, REDACTED)
    return _KEYED_VALUE.sub(_hide_keyed_value, _SECRET_PATTERNS.sub(REDACTED, text))


def _hide_keyed_value(match: re.Match[str]) -> str:
    if not match["value"] or not _secret_key(match["key"]):
        return match[0]
    start, end = (i - match.start() for i in match.span("value"))
    return match[0][:start] + REDACTED + match[0][end:]


def redact(value: Any) -> Any:
    """A JSON-able copy of ``value`` with every secret redacted (keys and strings)."""
    from amplifier_core.utils import redact_secrets

    env_values = _secret_env_values()

    def strings(item: Any) -> Any:
        if isinstance(item, str):
            return redact_text(item, env_values)
        if isinstance(item, dict):
            return {
                str(k): REDACTED if isinstance(v, str) and _secret_key(str(k)) else strings(v)
                for k, v in item.items()
            }
        if isinstance(item, list):
            return [strings(v) for v in item]
        return item

    return strings(redact_secrets(jsonable(value)))


def _secret_key(name: str) -> bool:
    """Whether a key names a secret: ``auth_token``, ``x-api-key``, ``clientSecret``."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace("-", "_")
    return _SECRET_KEY.search(snake) is not None


def jsonable(value: Any) -> Any:
    """Plain JSON types for anything an event or a message may carry (models, Decimals)."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        with contextlib.suppress(Exception):
            return dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat()


# -- writing -------------------------------------------------------------


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
        record = {"ts": data.get("timestamp") or _now(), "event": event, "data": redact(data)}
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


_WRITERS: dict[str, TranscriptWriter] = {}


def writer_for(session_id: str) -> TranscriptWriter | None:
    """The live writer of a session of this kernel."""
    return _WRITERS.get(session_id)


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


# -- reading -------------------------------------------------------------


@dataclass
class SavedSession:
    """A session found under ``.amplifier/sessions``."""

    session_id: str
    metadata: dict[str, Any]
    folder: Path
    children: list[SavedSession] = field(default_factory=list)

    @property
    def parent_id(self) -> str | None:
        """The parent's id, for children."""
        return self.metadata.get("parent_id")


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
    from amplifier_jupyter.errors import AmplifierUserError

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


# -- export --------------------------------------------------------------


def export_transcript(
    session_id: str,
    path: Path,
    root: Path | None = None,
    *,
    messages: list[dict[str, Any]] | None = None,
) -> str:
    """Write a session's transcript to ``path``; the format follows the suffix.

    ``.jsonl``: the messages; ``.json``: metadata, messages and events;
    ``.md``: the conversation as readable Markdown. ``messages``: a live
    session's conversation (also when transcripts are off). Returns a
    description.
    """
    from amplifier_jupyter.errors import AmplifierUserError

    metadata = load_metadata(session_id, root) or {"session_id": session_id}
    messages = load_messages(session_id, root) if messages is None else redact(messages)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        text = "".join(json.dumps(m) + "\n" for m in messages)
    elif suffix == ".json":
        events = load_events(session_id, root)
        text = json.dumps({"metadata": metadata, "messages": messages, "events": events}, indent=2)
    elif suffix == ".md":
        text = _markdown(metadata, messages)
    else:
        raise AmplifierUserError(
            f"cannot tell the format of {path.name!r}: save to a .md, .json or .jsonl file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"{len(messages)} messages"


def _markdown(metadata: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    title = metadata.get("name") or metadata.get("session_id")
    lines = [f"# Amplifier session {title}", "", f"Session id: `{metadata.get('session_id')}`"]
    if metadata.get("parent_id"):
        lines.append(f"Parent: `{metadata['parent_id']}`")
    for message in messages:
        role = str(message.get("role", "?"))
        lines += ["", f"## {role}", "", content_text(message.get("content"))]
        for call in message.get("tool_calls") or []:
            arguments = json.dumps(call.get("arguments"))
            lines += ["", f"*tool call* `{call.get('tool')}`: `{arguments}`"]
    return "\n".join(lines) + "\n"


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if not isinstance(block, dict):
            parts.append(str(block))
        elif block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_use":
            parts.append(f"*tool call* `{block.get('name')}`: `{json.dumps(block.get('input'))}`")
        elif block.get("type") == "tool_result":
            parts.append(f"*tool result*: {content_text(block.get('content'))}")
        elif block.get("type") in ("thinking", "tool_call"):
            continue  # thinking stays private; tool calls are listed from tool_calls
        else:
            parts.append(f"*{block.get('type')}*")
    return "\n\n".join(parts)
