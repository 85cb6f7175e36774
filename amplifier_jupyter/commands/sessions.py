"""The lifecycle subcommands of ``%amplifier``: sessions, resume, save, transcripts,
install and modules (listed in ``commands.COMMANDS``)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.ui.view import say, show, shown


def _args(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as error:
        raise AmplifierUserError(f"{error} in the subcommand's arguments") from None


async def sessions(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier sessions [--all]``: the live sessions as a tree, or every saved one."""
    from amplifier_jupyter.session.children import saved_tree, sessions_tree

    args = _args(rest)
    if args not in ([], ["--all"]):
        raise AmplifierUserError("usage: %amplifier sessions [--all]")
    show(saved_tree(ks) if args else sessions_tree(ks))


async def resume(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier resume ID``."""
    from amplifier_jupyter.session.resume import resume_session

    for line in await resume_session(ks, rest.strip()):
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
    for child in ks.children.values():
        if child.session_id == which:
            return child.session
    return None


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
    from amplifier_jupyter.transcripts.store import sessions_dir
    from amplifier_jupyter.transcripts.writer import SETTINGS

    choice = rest.strip().lower()
    if choice in ("on", "off"):
        SETTINGS.choice = choice == "on"
    elif choice:
        raise AmplifierUserError("usage: %amplifier transcripts on|off")
    state = "on" if SETTINGS.enabled else "off"
    say(f"transcripts are {state} ({sessions_dir()})")


async def install(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier install SOURCE|MODULE-ID``: pip-install a module source now."""
    from amplifier_jupyter.loading.installer import install_source, source_text
    from amplifier_jupyter.session.plans import plan_modules

    spec = rest.strip()
    if not spec:
        raise AmplifierUserError(
            "usage: %amplifier install git+https://...@ref | PATH | MODULE-ID (from the plan)"
        )
    source = spec
    for _, module_id, module_source in plan_modules(ks.active_plan()):
        if module_id == spec:
            source = source_text(module_source) or ""
            if not source:
                raise AmplifierUserError(
                    f"the plan gives no source for {module_id}: give the source instead"
                )
    result = await install_source(source, lambda line: print(f"  {line}", flush=True))
    say(result.describe())
    if result.installed and ks.session is not None:
        say("the running session keeps its modules: %amplifier reset to start one with these")


async def modules(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier modules``: every module of the plan, where it comes from, its version."""
    from amplifier_jupyter.loading.resolver import module_origin
    from amplifier_jupyter.session.plans import plan_modules

    rows = [("kind", "module", "from", "version")]
    for kind, module_id, source in plan_modules(ks.active_plan()):
        origin, version = module_origin(module_id, source)
        loaded = ks.loader.origins.get(module_id) if ks.loader is not None else None
        if loaded and loaded.split()[0] != origin.split()[0]:
            origin = f"{origin} (this session: {loaded})"
        rows.append((kind, module_id, origin, version))
    rows = [tuple(shown(cell) for cell in row) for row in rows]  # a source may hold a token
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])


COMMANDS = {
    "sessions": sessions,
    "resume": resume,
    "save": save,
    "transcripts": transcripts,
    "install": install,
    "modules": modules,
}
HELP = """\
%%amplifier --child NAME [--config PLAN]  run the cell in the child session NAME (again:
                                          continue it); PLAN as for %amplifier config
%amplifier sessions [--all]               this kernel's sessions as a tree (--all: every
                                          saved session of this folder)
%amplifier resume ID                      bring a saved session back, with its conversation
%amplifier save PATH [NAME|ID]            export a transcript (.md, .json or .jsonl)
%amplifier transcripts on|off             write transcripts to .amplifier/sessions/ or not
%amplifier install SOURCE | MODULE-ID     pip-install a module source (git+https://...@ref)
%amplifier modules                        the plan's modules, where from, which version"""
