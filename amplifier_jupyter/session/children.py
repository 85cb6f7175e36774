"""Child sessions: ``%%amplifier --child NAME``, and the children ``session.spawn`` forks.

A child is an ordinary :class:`amplifier_core.AmplifierSession` whose
``parent_id`` is its parent's id (so the kernel emits ``session:fork``). It
shares the kernel's approval and display systems and approval policy, uses
the parent's plan unless it is given another, and keeps its conversation:
running the same name again continues it. Its events reach
``KernelSession.listeners`` with ``data["child"]`` set to its name (the
kernel already puts ``session_id`` and ``parent_id`` in every event).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError, one_line
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.totals import Totals, totals_from_events


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


def unique_name(ks: KernelSession, wanted: str) -> str:
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


def find_live(ks: KernelSession, session_id: str) -> ChildSession | None:
    """The live child with this session id, if any."""
    for child in ks.children.values():
        if child.session_id == session_id:
            return child
    return None


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
        from amplifier_jupyter.session.resume import complete_conversation
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
    """Clean every child of the kernel up; whether there were any (the caller drains once
    for them and its own session, docs/design.md fact 4)."""
    children = list(ks.children.values())
    for child in children:
        await end_child(ks, child)
    ks.children.clear()
    return bool(children)
