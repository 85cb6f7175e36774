"""Child sessions: ``%%amplifier --child NAME``, and the children ``session.spawn`` forks.

A child is an ordinary :class:`amplifier_core.AmplifierSession` whose
``parent_id`` is its parent's id (so the kernel emits ``session:fork``). It
shares the kernel's approval and display systems and approval policy, uses
the parent's plan unless it is given another, and keeps its conversation:
running the same name again continues it. Its events reach the kernel
session's listeners with ``data["child"]`` set to its name (the kernel already
puts ``session_id`` and ``parent_id`` in every event).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Protocol

from amplifier_jupyter.session.record import SessionRecord
from amplifier_jupyter.session.resume import saved_conversation
from amplifier_jupyter.transcripts.store import SavedSession, saved_sessions


class NewSession(Protocol):
    """How the registry starts a child's session (``KernelSession.new_session``)."""

    def __call__(
        self,
        plan: dict[str, Any],
        *,
        record: SessionRecord,
        session_id: str | None = None,
        parent_id: str | None = None,
        is_resumed: bool = False,
    ) -> Awaitable[Any]: ...


class Children(Mapping[str, SessionRecord]):
    """The live children of a kernel's sessions, by name (a read-only mapping).

    ``new_session`` starts a child's session, ``default_plan`` is the plan a child runs
    when it is given none (the kernel's active plan).
    """

    def __init__(self, new_session: NewSession, default_plan: Callable[[], dict[str, Any]]):
        self._new_session = new_session
        self._default_plan = default_plan
        self._by_name: dict[str, SessionRecord] = {}

    def __getitem__(self, name: str) -> SessionRecord:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return repr(self._by_name)

    def unique_name(self, wanted: str) -> str:
        """``wanted``, or ``wanted-2``, ``wanted-3``... when a live child has it."""
        if wanted not in self._by_name:
            return wanted
        n = 2
        while f"{wanted}-{n}" in self._by_name:
            n += 1
        return f"{wanted}-{n}"

    def find(self, session_id: str) -> SessionRecord | None:
        """The live child with this session id, if any."""
        for child in self._by_name.values():
            if child.session_id == session_id:
                return child
        return None

    def _saved(self, parent_id: str, name: str) -> SavedSession | None:
        """A transcript of a child of this name under this parent (after a resume or restart)."""
        live = {c.session_id for c in self._by_name.values()}
        found = [
            s
            for s in saved_sessions()
            if s.parent_id == parent_id
            and s.metadata.get("name") == name
            and s.session_id not in live
        ]
        return found[-1] if found else None

    async def open(
        self,
        name: str,
        plan: dict[str, Any] | None = None,
        *,
        parent: Any,
        session_id: str | None = None,
        agent: str | None = None,
        messages: list[dict[str, Any]] | None = None,
    ) -> tuple[SessionRecord, str]:
        """The child called ``name`` of ``parent``: the live one, a saved one continued, or
        a new one.

        Returns the child and a one-line note for the user ("" when it simply
        continues). A ``plan`` different from the live child's starts it afresh.
        """
        note = ""
        existing = self._by_name.get(name)
        if existing is not None:
            if plan is None or plan == existing.plan:
                return existing, note
            await self.end(existing)
            note = f"child {name!r} started afresh with the given plan"
        resumed = None
        if plan is None and session_id is None and existing is None:
            resumed = self._saved(parent.session_id, name)
        child_plan = copy.deepcopy(plan or self._default_plan())
        child = SessionRecord(child_plan, name=name, agent=agent)
        if resumed is not None:
            session_id = resumed.session_id
            # A kernel killed mid-turn left it unfinished: made whole as a resume makes it.
            conversation = saved_conversation(session_id)
            messages = conversation.messages
            # Its turns, tokens and cost so far, as a resumed kernel session counts them.
            child.restore(turns=conversation.turns, totals=conversation.totals)
            note = f"child {name!r} continues its saved conversation ({len(messages)} messages)"
            note += f"; {conversation.repaired}" if conversation.repaired else ""
        await self._new_session(
            child_plan,
            record=child,
            session_id=session_id,
            parent_id=parent.session_id,
            is_resumed=resumed is not None,
        )
        if messages:
            context = child.session.coordinator.get("context")
            if context is not None:
                await context.set_messages(messages)
        self._by_name[name] = child
        return child, note

    async def end(self, child: SessionRecord) -> None:
        """Clean one child up (its own children first)."""
        for other in list(self._by_name.values()):
            if (
                other is not child
                and other.session is not None
                and other.parent_id == (child.session_id)
            ):
                await self.end(other)
        if self._by_name.get(child.name or "") is child:
            del self._by_name[child.name or ""]
        await child.cleanup()

    async def end_all(self) -> bool:
        """Clean every child up; whether there were any (the caller drains once for them and
        its own session, docs/design.md fact 4)."""
        children = list(self._by_name.values())
        for child in children:
            await self.end(child)
        self._by_name.clear()
        return bool(children)

    async def stop(self) -> None:
        """Ask every child that is running a turn to stop at its next safe point."""
        for child in list(self._by_name.values()):
            if child.running:
                await child.request_cancel()
