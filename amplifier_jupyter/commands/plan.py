"""``%amplifier SUBCOMMAND ...``: configuration and control of the kernel's session."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from amplifier_jupyter.commands import run as run_commands
from amplifier_jupyter.commands import sessions as session_commands
from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession, kernel_session
from amplifier_jupyter.session.plans import plan_modules, resolve_plan_spec
from amplifier_jupyter.ui.view import complain, say, show

LINE_USAGE = (
    "usage: %amplifier config [NAME | PATH | {...} | --default] | status | reset | stop | help"
    " | approve [ask|allow|deny] [TOOL ...] [--timeout S] | wait"
    " | sessions [--all] | resume ID | save PATH | transcripts on|off | install SOURCE | modules"
)
HELP = """\
Run a prompt
  %%amplifier [--model ID] [--out NAME]   the cell's text is the prompt ({name} takes a value from
                                          the kernel); the answer shows as Markdown and is bound
                                          to _amplifier (or NAME); --model: this cell only
    --cells 3-5 | 3,7 | -2:               also send earlier cells (source, output, error)
    --error                               also send the last exception and its traceback
    --vars a,b                            also send summaries of these variables
    --notebook                            also send the saved notebook
    --no-interpolate                      send the text exactly as written
    --background                          return at once; the panel goes on (%amplifier wait)
    --child NAME [--config PLAN]          run in the child session NAME (again: continue it)
Plan
  %amplifier config NAME | PATH | {...}   set the mount plan (a dict variable, a .yaml/.json file,
                                          or a literal); the next cell starts a fresh session
  %amplifier config [--default]           show the active plan / go back to the default one
  %amplifier modules                      every module of the plan, where it comes from, version
  %amplifier install SOURCE | MODULE-ID   pip-install a module source into this kernel
Control
  %amplifier status                       session, modules, turns, tokens and cost
  %amplifier stop | wait                  stop the running agent / await a background run
  %amplifier approve ask|allow|deny|auto [TOOL ...] [--timeout S]
                                          who may run what (no arguments: show the policy)
  %amplifier reset                        end the session; the next cell starts a fresh one
  %amplifier help                         this reference
Sessions
  %amplifier sessions [--all]             this kernel's sessions as a tree (--all: saved ones)
  %amplifier resume ID                    continue a saved session, also after a restart
  %amplifier save PATH [NAME|ID]          export a transcript (.md, .json, .jsonl)
  %amplifier transcripts on|off           write transcripts under .amplifier/ or not
Offline (no API key): a plan with the scripted provider, e.g.
  %amplifier config {"session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
  "providers": [{"module": "provider-scripted", "config": {"script": ["Hello!"]}}]}"""

Command = Callable[[KernelSession, str, dict[str, Any]], Awaitable[None]]


async def _config(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    rest = rest.strip()
    if not rest:
        from amplifier_jupyter.redaction import redact

        # Shown without its secrets; the plan itself keeps them for the modules.
        source = "your plan" if ks.plan is not None else "the default plan"
        say(f"{source}:\n{json.dumps(redact(ks.active_plan()), indent=2)}")
        return
    if rest == "--default":
        await ks.set_plan(None)
        say("plan set to the default; the next %%amplifier cell starts a fresh session")
        return
    plan = resolve_plan_spec(rest, namespace)
    await ks.set_plan(plan)
    modules = ", ".join(module_id for _, module_id, _ in plan_modules(plan))
    say(f"plan set ({modules}); the next %%amplifier cell starts a fresh session")


async def _reset(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    had = ks.session is not None
    await ks.reset()
    say("session ended; the next %%amplifier cell starts a fresh one" if had else "no session yet")


async def _stop(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    if not ks.busy:  # a run whose session is still starting counts: its stop is kept
        say("nothing is running")
        return
    await ks.stop()
    say("stop requested")


async def _status(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    show(status_text(ks))


async def _help(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    print(HELP)
    print(run_commands.HELP)
    print(session_commands.HELP)


COMMANDS: dict[str, Command] = {
    "config": _config,
    "reset": _reset,
    "stop": _stop,
    "status": _status,
    "help": _help,
    # Approval policy and background runs (issue 4).
    **run_commands.COMMANDS,
    # Sessions, transcripts, resume and module sources (issue 6).
    **session_commands.COMMANDS,
}


def _origin(ks: KernelSession, module_id: str) -> str:
    origin = ks.loader.origins.get(module_id) if ks.loader is not None else None
    return f"{module_id} ({origin})" if origin else module_id


def status_text(ks: KernelSession) -> str:
    """What ``%amplifier status`` prints."""
    plan = ks.active_plan()
    modules = plan_modules(plan)
    if ks.session is None:
        names = ", ".join(module_id for _, module_id, _ in modules)
        which = "your plan" if ks.plan is not None else "the default plan"
        return f"no session yet: the next %%amplifier cell starts one with {which} ({names})"
    mounted = ks.mounted()

    def listed(kind: str) -> str:
        ids = [_origin(ks, m) for k, m, _ in modules if k == kind]
        return ", ".join(ids) or "none"

    rows = [
        ("session", ks.session.session_id),
        ("parent", ks.session.parent_id or "none"),
        ("orchestrator", listed("orchestrator")),
        ("context", listed("context")),
        (
            "providers",
            f"{listed('provider')} → mounted as {', '.join(mounted['providers']) or 'none'}",
        ),
        ("tools", ", ".join(mounted["tools"]) or "none"),
        ("hooks", ", ".join(mounted["hooks"]) or "none"),
        ("turns", str(ks.turns)),
        ("tokens", f"{ks.totals.describe()} over {ks.totals.requests} requests"),
    ]
    if ks.policy is not None:
        rows.append(("approval", ks.policy.describe()))
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)


async def run_line(line: str, namespace: dict[str, Any] | None = None) -> None:
    """What a ``%amplifier ...`` line does (awaited by the input transformer)."""
    if namespace is None:
        from amplifier_jupyter._ipython.shell import user_namespace

        namespace = user_namespace()
    name, _, rest = line.strip().partition(" ")
    command = COMMANDS.get(name)
    if command is None:
        complain(f"unknown subcommand {name!r}. {LINE_USAGE}" if name else LINE_USAGE)
        return
    try:
        await command(kernel_session(), rest, namespace)
    except AmplifierUserError as error:
        complain(str(error))
