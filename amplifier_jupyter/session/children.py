"""Child sessions: ``%%amplifier --child NAME`` and the ``session.spawn`` capability.

A child is an ordinary :class:`amplifier_core.AmplifierSession` whose
``parent_id`` is its parent's id (so the kernel emits ``session:fork``). It
shares the kernel's approval and display systems and approval policy, uses
the parent's plan unless it is given another, and keeps its conversation:
running the same name again continues it. Its events reach
``KernelSession.listeners`` with ``data["child"]`` set to its name (the
kernel already puts ``session_id`` and ``parent_id`` in every event).

``session.spawn`` / ``session.resume`` follow the calling convention of
Amplifier's own delegate and task tools, so such a tool in a plan forks
children here the same way it does in Amplifier's CLI::

    await spawn(agent_name=..., instruction=..., parent_session=..., agent_configs=...,
                sub_session_id=..., tool_inheritance=..., hook_inheritance=...,
                orchestrator_config=..., parent_messages=..., provider_preferences=...,
                self_delegation_depth=...)
    -> {"output": str, "session_id": str, "status": "success", "turn_count": int,
        "metadata": {...}}
    await resume(sub_session_id=..., instruction=...)  -> the same shape
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError, one_line
from amplifier_jupyter.session.kernel import KernelSession, Totals


@dataclass
class ChildSession:
    """One child of a kernel session, by name."""

    name: str
    plan: dict[str, Any]
    session: Any = None
    agent: str | None = None
    turns: int = 0
    running: bool = False
    totals: Totals = field(default_factory=Totals)
    load_failures: list[str] = field(default_factory=list)

    @property
    def session_id(self) -> str:
        """The child's session id."""
        return self.session.session_id if self.session is not None else ""


# -- creating and running -------------------------------------------------


def _unique_name(ks: KernelSession, wanted: str) -> str:
    if wanted not in ks.children:
        return wanted
    n = 2
    while f"{wanted}-{n}" in ks.children:
        n += 1
    return f"{wanted}-{n}"


def _saved_child(ks: KernelSession, parent_id: str, name: str) -> Any:
    """A transcript of a child of this name under this parent (after a resume or restart)."""
    from amplifier_jupyter.transcripts.store import saved_sessions

    live = {c.session_id for c in ks.children.values()}
    found = [
        s
        for s in saved_sessions()
        if s.parent_id == parent_id and s.metadata.get("name") == name and s.session_id not in live
    ]
    return found[-1] if found else None


async def open_child(
    ks: KernelSession,
    name: str,
    plan: dict[str, Any] | None = None,
    *,
    parent: Any = None,
    session_id: str | None = None,
    agent: str | None = None,
    messages: list[dict[str, Any]] | None = None,
) -> tuple[ChildSession, str]:
    """The child called ``name``: the live one, a saved one continued, or a new one.

    Returns the child and a one-line note for the user ("" when it simply
    continues). A ``plan`` different from the live child's starts it afresh.
    """
    parent = parent if parent is not None else await ks.ensure_session()
    note = ""
    existing = ks.children.get(name)
    if existing is not None:
        if plan is None or plan == existing.plan:
            return existing, note
        await end_child(ks, existing)
        note = f"child {name!r} started afresh with the given plan"
    resumed = None
    if plan is None and session_id is None and existing is None:
        resumed = _saved_child(ks, parent.session_id, name)
    child = ChildSession(name=name, plan=copy.deepcopy(plan or ks.active_plan()), agent=agent)
    if resumed is not None:
        from amplifier_jupyter.session.resume import complete_conversation, totals_from_events
        from amplifier_jupyter.transcripts.store import count_turns, load_messages

        session_id = resumed.session_id
        # A kernel killed mid-turn left it unfinished: made whole as a resume makes it.
        messages, repaired = complete_conversation(load_messages(session_id))
        child.turns = count_turns(messages)
        # Its tokens and cost so far, as a resumed kernel session counts them.
        child.totals = totals_from_events(session_id)
        note = f"child {name!r} continues its saved conversation ({len(messages)} messages)"
        note += f"; {repaired}" if repaired else ""
    child.session = await ks.new_session(
        child.plan,
        session_id=session_id,
        parent_id=parent.session_id,
        is_resumed=resumed is not None,
        child=child,
    )
    if messages:
        context = child.session.coordinator.get("context")
        if context is not None:
            await context.set_messages(messages)
    ks.children[name] = child
    return child, note


async def execute_child(child: ChildSession, prompt: str, *, model: str | None = None) -> str:
    """Run one prompt in a child; errors propagate (a tool reports them to its model)."""
    from amplifier_jupyter.transcripts.writer import sync_messages

    coordinator = child.session.coordinator
    if not coordinator.get("providers"):
        detail = "; ".join(child.load_failures) or "the plan names no provider"
        raise AmplifierUserError(f"child {child.name!r} has no provider: {detail}")
    coordinator.register_capability("notebook.request_overrides", {"model": model} if model else {})
    coordinator.cancellation.reset()
    child.running = True
    try:
        answer = await child.session.execute(prompt)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await coordinator.request_cancel()
        raise
    finally:
        child.running = False
        coordinator.register_capability("notebook.request_overrides", {})
        with contextlib.suppress(Exception):
            await sync_messages(child.session)
    child.turns += 1
    return answer


async def run_child(
    ks: KernelSession,
    name: str,
    prompt: str,
    *,
    plan: dict[str, Any] | None = None,
    model: str | None = None,
    on_note: Any = None,
) -> str:
    """What ``%%amplifier --child NAME`` does: one prompt in that child."""
    lock: asyncio.Lock = ks._lock
    if lock.locked():
        raise AmplifierUserError(
            "an agent run is still going in this kernel: wait for it (%amplifier wait) "
            "or stop it (%amplifier stop)"
        )
    async with lock:
        child, note = await open_child(ks, name, plan)
        if note and on_note is not None:
            on_note(note)
        ks.running = asyncio.current_task()
        try:
            return await execute_child(child, prompt, model=model)
        except AmplifierUserError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise AmplifierUserError(one_line(error)) from None
        finally:
            ks.running = None


async def run_child_cell(
    ks: KernelSession, options: Any, prompt: str, notice: Callable[[str], None]
) -> str:
    """``%%amplifier --child NAME [--config PLAN]``: resolve the plan, run, report notes."""
    plan = None
    if options.config:
        from amplifier_jupyter._ipython.shell import user_namespace
        from amplifier_jupyter.session.plans import resolve_plan_spec

        plan = resolve_plan_spec(options.config, user_namespace())
    known = ks.children.get(options.child)
    notes: list[str] = []
    try:
        return await run_child(
            ks, options.child, prompt, plan=plan, model=options.model, on_note=notes.append
        )
    finally:
        child = ks.children.get(options.child)
        if child is not None and child is not known:
            # A new child: what its start had to say (a built-in standing in, a failure).
            loader = getattr(child.session.coordinator, "loader", None)
            notes += list(getattr(loader, "notices", []) or []) + child.load_failures
        for line in notes:
            notice(line)


async def end_child(ks: KernelSession, child: ChildSession) -> None:
    """Clean one child up (its own children first)."""
    for other in list(ks.children.values()):
        if (
            other is not child
            and other.session is not None
            and (other.session.parent_id == child.session_id)
        ):
            await end_child(ks, other)
    if ks.children.get(child.name) is child:
        del ks.children[child.name]
    if child.session is not None:
        with contextlib.suppress(Exception):
            await child.session.cleanup()


async def end_children(ks: KernelSession) -> bool:
    """Clean every child of the kernel up; whether there were any.

    The caller cleans the kernel's own session up next and then drains once
    for all of them (docs/design.md, fact 4).
    """
    children = list(ks.children.values())
    if not children:
        return False
    for child in children:
        await end_child(ks, child)
    ks.children.clear()
    return True


# -- session.spawn --------------------------------------------------------


def _module_id(entry: Any) -> str:
    return entry.get("module", "") if isinstance(entry, dict) else str(entry)


def _filtered(entries: list[Any], policy: dict[str, Any] | None, kind: str) -> list[Any]:
    """Apply an ``{"exclude_<kind>": [...]}`` / ``{"inherit_<kind>": [...]}`` policy."""
    if not policy:
        return entries
    inherit = policy.get(f"inherit_{kind}")
    if inherit is not None:
        return [e for e in entries if _module_id(e) in inherit]
    exclude = policy.get(f"exclude_{kind}") or []
    return [e for e in entries if _module_id(e) not in exclude]


def _merge_entries(base: list[Any], overlay: list[Any]) -> list[Any]:
    """Module lists merged by id: the overlay's config wins, new modules are appended."""
    merged = [copy.deepcopy(e) for e in base]
    for entry in overlay or []:
        for i, current in enumerate(merged):
            if _module_id(current) == _module_id(entry):
                combined = {**current, **entry}
                combined["config"] = {**current.get("config", {}), **entry.get("config", {})}
                merged[i] = combined
                break
        else:
            merged.append(copy.deepcopy(entry))
    return merged


def child_plan(
    parent_plan: dict[str, Any],
    *,
    agent_name: str = "self",
    agent_configs: dict[str, Any] | None = None,
    tool_inheritance: dict[str, Any] | None = None,
    hook_inheritance: dict[str, Any] | None = None,
    orchestrator_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan of a spawned child: the parent's, filtered, with the agent's overlay."""
    plan = copy.deepcopy(dict(parent_plan))
    plan.pop("agents", None)
    plan["tools"] = _filtered(plan.get("tools", []), tool_inheritance, "tools")
    plan["hooks"] = _filtered(plan.get("hooks", []), hook_inheritance, "hooks")
    overlay = (agent_configs or {}).get(agent_name) if agent_name != "self" else None
    if isinstance(overlay, dict):
        plan["session"] = {**plan.get("session", {}), **(overlay.get("session") or {})}
        for key in ("providers", "tools", "hooks"):
            plan[key] = _merge_entries(plan.get(key, []), overlay.get(key) or [])
    if orchestrator_config:
        orchestrator = plan["session"].get("orchestrator")
        if isinstance(orchestrator, dict):
            orchestrator["config"] = {**orchestrator.get("config", {}), **orchestrator_config}
        else:
            section = plan.setdefault("orchestrator", {})
            section["config"] = {**section.get("config", {}), **orchestrator_config}
    return plan


def _preferred_model(preferences: list[Any] | None, session: Any) -> str | None:
    """The first preference naming a mounted provider and a concrete model."""
    mounted = set((session.coordinator.get("providers") or {}).keys())
    for preference in preferences or []:
        if isinstance(preference, dict):
            provider, model = preference.get("provider"), preference.get("model")
        else:
            provider = getattr(preference, "provider", None)
            model = getattr(preference, "model", None)
        names = {provider, str(provider).removeprefix("provider-")}
        # A glob ("claude-haiku-*") needs the provider's model list: left to the provider.
        if model and names & mounted and not any(ch in model for ch in "*?["):
            return model
    return None


def _result(child: ChildSession, output: str, agent: str | None) -> dict[str, Any]:
    return {
        "output": output,
        "session_id": child.session_id,
        "status": "success",
        "turn_count": child.turns,
        "metadata": {"name": child.name, "agent": agent, "parent_id": child.session.parent_id},
    }


def _find_live(ks: KernelSession, session_id: str) -> ChildSession | None:
    for child in ks.children.values():
        if child.session_id == session_id:
            return child
    return None


def register_spawning(ks: KernelSession, session: Any) -> None:
    """Register ``session.spawn`` and ``session.resume`` on ``session``'s coordinator."""

    async def spawn(
        agent_name: str,
        instruction: str,
        parent_session: Any = None,
        agent_configs: dict[str, Any] | None = None,
        sub_session_id: str | None = None,
        tool_inheritance: dict[str, Any] | None = None,
        hook_inheritance: dict[str, Any] | None = None,
        orchestrator_config: dict[str, Any] | None = None,
        parent_messages: list[dict[str, Any]] | None = None,
        provider_preferences: list[Any] | None = None,
        self_delegation_depth: int = 0,
        **_: Any,
    ) -> dict[str, Any]:
        """Fork a child of ``parent_session``, run ``instruction`` in it, return its answer."""
        parent = parent_session if parent_session is not None else session
        parent_plan = getattr(parent, "config", None) or session.config
        if (
            agent_name != "self"
            and ":" not in agent_name
            and agent_name not in (agent_configs or {})
        ):
            raise ValueError(f"agent {agent_name!r} is not defined in this plan's agents")
        plan = child_plan(
            parent_plan,
            agent_name=agent_name,
            agent_configs=agent_configs,
            tool_inheritance=tool_inheritance,
            hook_inheritance=hook_inheritance,
            orchestrator_config=orchestrator_config,
        )
        child, _ = await open_child(
            ks,
            _unique_name(ks, agent_name),
            plan,
            parent=parent,
            session_id=sub_session_id,
            agent=agent_name,
            messages=parent_messages,
        )
        child.session.coordinator.register_capability(
            "self_delegation_depth", self_delegation_depth
        )
        model = _preferred_model(provider_preferences, child.session)
        output = await execute_child(child, instruction, model=model)
        return _result(child, output, agent_name)

    async def resume(sub_session_id: str, instruction: str, **_: Any) -> dict[str, Any]:
        """Continue a child (live, or saved in this directory) with ``instruction``."""
        child = _find_live(ks, sub_session_id)
        if child is None:
            from amplifier_jupyter.session.resume import complete_conversation
            from amplifier_jupyter.transcripts.store import load_messages, load_metadata

            metadata = load_metadata(sub_session_id)
            if metadata is None:
                raise FileNotFoundError(f"no session {sub_session_id}")
            name = _unique_name(ks, metadata.get("name") or sub_session_id[:8])
            child, _ = await open_child(
                ks,
                name,
                None,
                parent=session,
                session_id=sub_session_id,
                messages=complete_conversation(load_messages(sub_session_id))[0],
            )
        output = await execute_child(child, instruction)
        return _result(child, output, child.agent)

    session.coordinator.register_capability("session.spawn", spawn)
    session.coordinator.register_capability("session.resume", resume)


# -- %amplifier sessions ----------------------------------------------------


def sessions_tree(ks: KernelSession) -> str:
    """The kernel's live sessions as a tree: name, id, turns, tokens."""
    if ks.session is None:
        return "no session yet: the next %%amplifier cell starts one"
    rows: list[tuple[str, str, str, str]] = []
    by_parent: dict[str, list[ChildSession]] = {}
    for child in ks.children.values():
        by_parent.setdefault(child.session.parent_id or "", []).append(child)

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
    return _table(rows)


def saved_tree(ks: KernelSession | None = None) -> str:
    """Every saved session of this directory as a tree, marking the live ones."""
    from amplifier_jupyter.transcripts.store import saved_sessions, sessions_dir

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
                    f"{s.metadata.get('turns', 0)} turns",
                    f"{created} · {state}",
                )
            )
            child_prefix = prefix if top else prefix + ("   " if last else "│  ")
            walk(s.session_id, child_prefix, False)

    walk("", "", True)
    return _table(rows)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )
