"""``%amplifier config``, ``status``, ``reset`` and ``stop``: the plan and the session's control."""

from __future__ import annotations

import json
from typing import Any

from amplifier_jupyter.commands.table import table
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.plans import plan_modules, resolve_plan_spec
from amplifier_jupyter.ui.view import say, show

USAGE = "config [NAME | PATH | {...} | --default] | status | reset | stop | help"
HELP = """\
Plan and control
  %amplifier config NAME | PATH | {...}   set the mount plan (a dict variable, a .yaml/.json file,
                                          or a literal); the next cell starts a fresh session
  %amplifier config [--default]           show the active plan / go back to the default one
  %amplifier status                       session, modules, turns, tokens and cost
  %amplifier stop                         stop the running agent at its next safe point
  %amplifier reset                        end the session; the next cell starts a fresh one
  %amplifier help                         this reference"""
# Printed at the end of %amplifier help: a plan that needs no API key.
OFFLINE = """\
Offline (no API key): a plan with the scripted provider, e.g.
  %amplifier config {"session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
  "providers": [{"module": "provider-scripted", "config": {"script": ["Hello!"]}}]}"""


async def config(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier config [NAME | PATH | {...} | --default]``: set or show the plan."""
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


async def reset(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier reset``: end the session; the next cell starts a fresh one."""
    had = ks.session is not None
    await ks.reset()
    say("session ended; the next %%amplifier cell starts a fresh one" if had else "no session yet")


async def stop(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier stop``: ask the running agent to stop at its next safe point."""
    if not ks.busy:  # a run whose session is still starting counts: its stop is kept
        say("nothing is running")
        return
    await ks.stop()
    say("stop requested")


async def status(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier status``."""
    show(status_text(ks))


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
    from amplifier_jupyter.replay.state import replay_state

    rows.append(("replay", replay_state().describe()))
    if ks.policy is not None:
        from amplifier_jupyter.modules.hooks_notebook_approval import describe_approval

        rows.append(("approval", describe_approval(ks.session.coordinator, ks.policy)))
    return table(rows)


COMMANDS = {
    "config": config,
    "status": status,
    "reset": reset,
    "stop": stop,
}
