"""``%amplifier sessions``, ``resume``, ``save`` and ``transcripts``: the kernel's sessions,
live and saved."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from amplifier_jupyter.commands.table import table
from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.record import SessionRecord
from amplifier_jupyter.transcripts.store import saved_sessions, sessions_dir
from amplifier_jupyter.ui.view import say, show

USAGE = "sessions [--all] | resume ID | save PATH | transcripts on|off"
HELP = """\
Sessions
  %amplifier sessions [--all]             this kernel's sessions as a tree (--all: every saved
                                          session of this folder)
  %amplifier resume ID                    bring a saved session back, with its conversation,
                                          also after a restart
  %amplifier save PATH [NAME|ID]          export a transcript (.md, .json or .jsonl)
  %amplifier transcripts on|off           write transcripts to .amplifier/sessions/ or not"""


def _args(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as error:
        raise AmplifierUserError(f"{error} in the subcommand's arguments") from None


async def sessions(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier sessions [--all]``: the live sessions as a tree, or every saved one."""
    args = _args(rest)
    if args not in ([], ["--all"]):
        raise AmplifierUserError("usage: %amplifier sessions [--all]")
    show(saved_tree(ks) if args else sessions_tree(ks))


async def resume(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier resume ID``."""
    for line in await ks.resume(rest.strip()):
        say(line)


def _live_session(ks: KernelSession, which: str | None) -> Any:
    """The live session called ``which`` (a child's name, an id), or the kernel's."""
    if which is None:
        return ks.session
    child = ks.children.get(which)
    if child is not None:
        return child.session
    if ks.session is not None and ks.session.session_id == which:
        return ks.session
    child = ks.children.find(which)
    return child.session if child is not None else None


async def save(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier save PATH [NAME|ID]``: export a transcript (.md, .json or .jsonl)."""
    from amplifier_jupyter.transcripts.export import export_transcript
    from amplifier_jupyter.transcripts.store import find_saved
    from amplifier_jupyter.transcripts.writer import sync_messages

    args = _args(rest)
    if len(args) not in (1, 2):
        raise AmplifierUserError(
            "usage: %amplifier save PATH.md|PATH.json|PATH.jsonl [CHILD-NAME | SESSION-ID]"
        )
    path = Path(args[0]).expanduser()
    which = args[1] if len(args) == 2 else None
    session = _live_session(ks, which)
    messages = None
    if session is not None:
        await sync_messages(session)
        context = session.coordinator.get("context")
        messages = await context.get_messages() if context is not None else None
        session_id = session.session_id
    elif which is not None:
        session_id = find_saved(which).session_id
    else:
        raise AmplifierUserError("no session yet: run a %%amplifier cell, or name a saved session")
    what = export_transcript(session_id, path, messages=messages)
    say(f"saved {what} of {session_id} to {path}")


async def transcripts(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier transcripts [on|off]``."""
    from amplifier_jupyter.transcripts.writer import SETTINGS

    choice = rest.strip().lower()
    if choice in ("on", "off"):
        SETTINGS.choice = choice == "on"
    elif choice:
        raise AmplifierUserError("usage: %amplifier transcripts on|off")
    state = "on" if SETTINGS.enabled else "off"
    say(f"transcripts are {state} ({sessions_dir()})")


def sessions_tree(ks: KernelSession) -> str:
    """The kernel's live sessions as a tree: name, id, turns, tokens."""
    if ks.session is None:
        return "no session yet: the next %%amplifier cell starts one"
    rows: list[tuple[str, str, str, str]] = []
    by_parent: dict[str, list[SessionRecord]] = {}
    for child in ks.children.values():
        by_parent.setdefault(child.parent_id or "", []).append(child)

    def walk(session_id: str, prefix: str) -> None:
        kids = by_parent.get(session_id, [])
        for i, child in enumerate(kids):
            last = i == len(kids) - 1
            branch = "└─ " if last else "├─ "
            running = " (running)" if child.running else ""
            rows.append(
                (
                    f"{prefix}{branch}{child.name}{running}",
                    child.session_id,
                    f"{child.turns} turns",
                    child.totals.describe(),
                )
            )
            walk(child.session_id, prefix + ("   " if last else "│  "))

    rows.append(("kernel", ks.session.session_id, f"{ks.turns} turns", ks.totals.describe()))
    walk(ks.session.session_id, "")
    return table(rows)


def saved_tree(ks: KernelSession | None = None) -> str:
    """Every saved session of this directory as a tree, marking the live ones."""
    saved = saved_sessions()
    if not saved:
        return f"no saved sessions in {sessions_dir()}"
    live = set()
    if ks is not None and ks.session is not None:
        live.add(ks.session.session_id)
        live |= {c.session_id for c in ks.children.values()}
    ids = {s.session_id for s in saved}
    by_parent: dict[str, list[Any]] = {}
    for s in saved:
        parent = s.parent_id if s.parent_id in ids else ""
        by_parent.setdefault(parent or "", []).append(s)
    rows: list[tuple[str, str, str, str]] = []

    def walk(parent: str, prefix: str, top: bool) -> None:
        kids = by_parent.get(parent, [])
        for i, s in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if top else ("└─ " if last else "├─ ")
            name = s.metadata.get("name") or ("child" if s.parent_id else "session")
            state = "live" if s.session_id in live else s.metadata.get("state", "?")
            if state == "live" and s.session_id not in live:
                state = "not ended"  # a kernel that died without cleanup
            created = str(s.metadata.get("created", ""))[:19].replace("T", " ")
            rows.append(
                (
                    f"{prefix}{branch}{name}",
                    s.session_id,
                    f"{s.turns} turns",
                    f"{created} · {state}",
                )
            )
            child_prefix = prefix if top else prefix + ("   " if last else "│  ")
            walk(s.session_id, child_prefix, False)

    walk("", "", True)
    return table(rows)


COMMANDS = {
    "sessions": sessions,
    "resume": resume,
    "save": save,
    "transcripts": transcripts,
}
