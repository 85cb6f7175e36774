"""``%amplifier resume ID``: a saved session back, with its conversation.

The session is created again under its own id with ``is_resumed=True`` (so
the kernel emits ``session:resume``), its messages are put back into the
context, and its turns and tokens are counted from the transcript. This
works in a new kernel after a restart: everything comes from
``.amplifier/sessions/<id>/``.

The plan: the one set in this kernel (``%amplifier config``) if there is
one, else the plan saved with the session. Saved plans have their secrets
redacted; those keys are left out, so providers fall back to the
environment (``ANTHROPIC_API_KEY``).
"""

from __future__ import annotations

from typing import Any

from .errors import AmplifierUserError
from .kernel_session import KernelSession, Totals
from .plans import validate_plan
from .transcripts import REDACTED, find_saved, load_events, load_messages


def without_redacted(value: Any) -> Any:
    """A copy without the keys whose values were redacted when saved."""
    if isinstance(value, dict):
        return {k: without_redacted(v) for k, v in value.items() if v != REDACTED}
    if isinstance(value, list):
        return [without_redacted(v) for v in value]
    return value


def totals_from_events(session_id: str) -> Totals:
    """The token and cost totals recorded in a transcript's events."""
    totals = Totals()
    for record in load_events(session_id):
        if record.get("event") == "provider:response":
            totals.add((record.get("data") or {}).get("usage"))
    return totals


async def resume_session(ks: KernelSession, spec: str) -> str:
    """Make the saved session ``spec`` (an id or its start) the kernel's session again."""
    if not spec.strip():
        raise AmplifierUserError(
            "give the session id: %amplifier resume ID (%amplifier sessions --all lists them)"
        )
    saved = find_saved(spec)
    session_id = saved.session_id
    if saved.parent_id:
        name = saved.metadata.get("name") or "NAME"
        raise AmplifierUserError(
            f"{session_id} is a child of {saved.parent_id}: resume that one, then "
            f"%%amplifier --child {name} continues the child"
        )
    if ks._lock.locked():
        raise AmplifierUserError(
            "an agent run is still going in this kernel: stop it (%amplifier stop) first"
        )
    if ks.session is not None and ks.session.session_id == session_id:
        return f"{session_id} is already this kernel's session"
    plan = ks.plan
    if plan is None and saved.metadata.get("plan"):
        plan = validate_plan(without_redacted(saved.metadata["plan"]))
    messages = load_messages(session_id)
    await ks.reset()
    previous, ks.plan = ks.plan, plan
    try:
        session = await ks.start_session(session_id=session_id, is_resumed=True)
    except BaseException:
        # The saved plan was only for this resume: a failed start must not make it the
        # kernel's plan for the next cell (nor show it as "your plan").
        ks.plan = previous
        raise
    context = session.coordinator.get("context")
    if context is None or not hasattr(context, "set_messages"):
        raise AmplifierUserError(
            "the plan's context module cannot take a conversation back (no set_messages)"
        )
    await context.set_messages(messages)
    ks.turns = int(saved.metadata.get("turns") or 0)
    ks.totals = totals_from_events(session_id)
    children = sorted(
        {str(s.metadata.get("name")) for s in _saved_children(session_id) if s.metadata.get("name")}
    )
    more = f"; children to continue with --child: {', '.join(children)}" if children else ""
    return (
        f"resumed {session_id}: {len(messages)} messages, {ks.turns} turns; "
        f"the next %%amplifier cell continues it{more}"
    )


def _saved_children(session_id: str) -> list[Any]:
    from .transcripts import saved_sessions

    return [s for s in saved_sessions() if s.parent_id == session_id]
