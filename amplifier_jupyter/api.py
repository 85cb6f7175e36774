"""The Python API beside the magics: the kernel's session, its conversation, its events,
its children and its approval policy, without reaching into the session layer.

Everything here acts on the one session of this kernel, the one ``%%amplifier`` cells use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import EventListener, kernel_session

if TYPE_CHECKING:
    from amplifier_core import AmplifierSession

    from amplifier_jupyter.modules.hooks_notebook_approval import ApprovalPolicy
    from amplifier_jupyter.session.record import SessionRecord


async def get_session() -> AmplifierSession:
    """The kernel's initialized :class:`amplifier_core.AmplifierSession` (started if needed)."""
    session: AmplifierSession = await kernel_session().ensure_session()
    return session


async def set_plan(plan: dict[str, Any] | None) -> None:
    """Use ``plan`` as the mount plan (``None``: the default plan), as ``%amplifier config``
    does: it is checked first, and the next run starts a fresh session with it."""
    await kernel_session().set_plan(plan)


async def messages(child: str | None = None) -> list[dict[str, Any]]:
    """The conversation so far: the kernel session's, or that of the child called ``child``.

    Empty before the first run. Each message is a dict as the context manager keeps it
    (``role``, ``content``, and ``tool_call_id`` / ``name`` for tool results).
    """
    ks = kernel_session()
    if child is None:
        return await ks.messages()
    found = ks.children.get(child)
    if found is None:
        known = ", ".join(sorted(ks.children)) or "none yet"
        raise AmplifierUserError(f"no child session called {child!r} (children: {known})")
    return await found.messages()


def add_listener(listener: EventListener) -> Callable[[], None]:
    """Call ``listener(event, data)`` for every event of the kernel's sessions.

    Events of a child carry ``data["child"]``, the child's name. A listener that raises
    is noted and skipped; it never stops the agent. Returns a function that removes it.
    """
    ks = kernel_session()
    ks.add_listener(listener)
    return lambda: ks.remove_listener(listener)


def remove_listener(listener: EventListener) -> None:
    """Stop calling ``listener`` (no error if it was not added)."""
    kernel_session().remove_listener(listener)


def children() -> Mapping[str, SessionRecord]:
    """The kernel session's live children by name (read-only): ``session_id``, ``turns``,
    ``totals``, ``session``."""
    return MappingProxyType(kernel_session().children)


def approval_policy() -> ApprovalPolicy:
    """The approval policy of every session of this kernel (what ``%amplifier approve`` sets):
    ``set(mode, tools)``, ``decide(tool_name)``, ``describe()``, ``timeout``."""
    policy: ApprovalPolicy = kernel_session().approval_policy()
    return policy


async def resume(session_id: str) -> str:
    """Make the saved session ``session_id`` (or the start of its id) the kernel's session
    again, as ``%amplifier resume`` does; returns what that command prints (one line, or
    two when the saved conversation ended on a prompt that had no answer)."""
    return "\n".join(await kernel_session().resume(session_id))
