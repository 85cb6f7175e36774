"""The lifecycle subcommands of ``%amplifier``: sessions, resume, save and transcripts
(listed in ``commands.COMMANDS``)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from .errors import AmplifierUserError
from .kernel_session import KernelSession
from .ui.view import say


def _args(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as error:
        raise AmplifierUserError(f"{error} in the subcommand's arguments") from None


async def sessions(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier sessions [--all]``: the live sessions as a tree, or every saved one."""
    from .children import saved_tree, sessions_tree

    args = _args(rest)
    if args not in ([], ["--all"]):
        raise AmplifierUserError("usage: %amplifier sessions [--all]")
    print(saved_tree(ks) if args else sessions_tree(ks))


async def resume(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier resume ID``."""
    from .resume import resume_session

    say(await resume_session(ks, rest.strip()))


def _live_session(ks: KernelSession, which: str | None) -> Any:
    """The live session called ``which`` (a child's name, an id), or the kernel's."""
    if which is None:
        return ks.session
    child = ks.children.get(which)
    if child is not None:
        return child.session
    if ks.session is not None and ks.session.session_id == which:
        return ks.session
    for child in ks.children.values():
        if child.session_id == which:
            return child.session
    return None


async def save(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier save PATH [NAME|ID]``: export a transcript (.md, .json or .jsonl)."""
    from .transcripts import export_transcript, find_saved, sync_messages

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
    from .transcripts import SETTINGS, sessions_dir

    choice = rest.strip().lower()
    if choice in ("on", "off"):
        SETTINGS.choice = choice == "on"
    elif choice:
        raise AmplifierUserError("usage: %amplifier transcripts on|off")
    state = "on" if SETTINGS.enabled else "off"
    say(f"transcripts are {state} ({sessions_dir()})")


COMMANDS = {
    "sessions": sessions,
    "resume": resume,
    "save": save,
    "transcripts": transcripts,
}
HELP = """\
%%amplifier --child NAME [--config PLAN]  run the cell in the child session NAME (again:
                                          continue it); PLAN as for %amplifier config
%amplifier sessions [--all]               this kernel's sessions as a tree (--all: every
                                          saved session of this folder)
%amplifier resume ID                      bring a saved session back, with its conversation
%amplifier save PATH [NAME|ID]            export a transcript (.md, .json or .jsonl)
%amplifier transcripts on|off             write transcripts to .amplifier/sessions/ or not"""
