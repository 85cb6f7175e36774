"""A saved session back, with its conversation: ``%amplifier resume ID``, and a child
continued after a restart.

The session is created again under its own id with ``is_resumed=True`` (so
the kernel emits ``session:resume``), its messages are put back into the
context, and its turns and tokens are counted from the transcript. This
works in a new kernel after a restart: everything comes from
``.amplifier/sessions/<id>/``.

The plan: the one set in this kernel (``%amplifier config``) if there is
one, else the plan saved with the session. Saved plans have their secrets
redacted; those keys are left out, so providers fall back to the
environment (``ANTHROPIC_API_KEY``).

A kernel killed mid-turn leaves the transcript where it stopped: on a
prompt with no answer yet (that prompt is left out, or the next one would
reach the model merged with it and count twice), or on tool calls without
results (each gets a result saying it has none, so the API takes the
conversation). The resume says so in one line.

Everything here reads the saved session; ``KernelSession.resume`` (session/kernel.py) and
the child registry (session/children.py) start the session with what it finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.modules._cancellation import MISSING_RESULT
from amplifier_jupyter.redaction import REDACTED
from amplifier_jupyter.session.plans import validate_plan
from amplifier_jupyter.session.totals import Totals, totals_from_events
from amplifier_jupyter.transcripts.export import content_text
from amplifier_jupyter.transcripts.store import (
    SavedSession,
    count_turns,
    find_saved,
    is_prompt,
    load_messages,
    saved_sessions,
)
from amplifier_jupyter.ui.timeline import shorten


def without_redacted(value: Any) -> Any:
    """A copy without the keys whose values were redacted when saved."""
    if isinstance(value, dict):
        return {k: without_redacted(v) for k, v in value.items() if v != REDACTED}
    if isinstance(value, list):
        return [without_redacted(v) for v in value]
    return value


def _tool_calls(message: dict[str, Any]) -> dict[str, str]:
    """``{id: tool name}`` of the calls an assistant message makes (listed or as blocks)."""
    calls = {
        str(call.get("id")): str(call.get("tool") or call.get("name") or "tool")
        for call in message.get("tool_calls") or []
        if isinstance(call, dict) and call.get("id")
    }
    content = message.get("content")
    for block in content if isinstance(content, list) else []:
        if isinstance(block, dict) and block.get("type") in ("tool_use", "tool_call"):
            calls.setdefault(str(block.get("id")), str(block.get("name") or "tool"))
    return calls


def _answered(message: dict[str, Any]) -> set[str]:
    """The ids of the tool calls a message gives results for."""
    if message.get("role") == "tool":
        return {str(message.get("tool_call_id"))}
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    return {
        str(b.get("tool_use_id"))
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "tool_result"
    }


def complete_conversation(
    messages: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], str | None]:
    """The conversation a killed kernel left, made whole again; and what was done, in a line.

    A last prompt that no model reply followed is left out: the conversation
    is as it stood before it. Tool calls of the last turn with no result get
    one that says so.
    """
    last = max(
        (i for i, m in enumerate(messages) if m.get("role") == "user" and is_prompt(m)),
        default=None,
    )
    if last is None:
        return messages, None
    turn = messages[last + 1 :]
    if not any(m.get("role") == "assistant" for m in turn):
        prompt = shorten(content_text(messages[last].get("content")), 60)
        return messages[:last], (
            "the last prompt had no answer (the kernel stopped first) and is left out; "
            f"run its cell again to ask it: {prompt!r}"
        )
    calls: dict[str, str] = {}
    for message in turn:
        calls.update(_tool_calls(message) if message.get("role") == "assistant" else {})
        for call_id in _answered(message):
            calls.pop(call_id, None)
    if not calls:
        return messages, None
    results = [
        {"role": "tool", "tool_call_id": call_id, "name": name, "content": MISSING_RESULT}
        for call_id, name in calls.items()
    ]
    names = ", ".join(sorted(set(calls.values())))
    return [*messages, *results], (
        f"the last turn stopped during a tool call ({names}): the call is recorded with "
        "no result, and the next cell goes on from there"
    )


@dataclass
class SavedConversation:
    """A saved session's conversation, made whole, with what it counted."""

    messages: list[dict[str, Any]]
    # What was done to make it whole, in a line (None: nothing).
    repaired: str | None
    turns: int
    totals: Totals


def saved_conversation(session_id: str) -> SavedConversation:
    """The conversation of the saved session ``session_id``, as it can go on."""
    messages, repaired = complete_conversation(load_messages(session_id))
    return SavedConversation(
        messages, repaired, count_turns(messages), totals_from_events(session_id)
    )


def resumable(spec: str) -> SavedSession:
    """The saved session ``spec`` names (an id or its start), if the kernel can resume it."""
    if not spec.strip():
        raise AmplifierUserError(
            "give the session id: %amplifier resume ID (%amplifier sessions --all lists them)"
        )
    saved = find_saved(spec)
    if saved.parent_id:
        name = saved.metadata.get("name") or "NAME"
        raise AmplifierUserError(
            f"{saved.session_id} is a child of {saved.parent_id}: resume that one, then "
            f"%%amplifier --child {name} continues the child"
        )
    return saved


def saved_plan(saved: SavedSession) -> dict[str, Any] | None:
    """The plan saved with a session, checked, without its redacted secrets."""
    plan = saved.metadata.get("plan")
    return validate_plan(without_redacted(plan)) if plan else None


def resumed_lines(session_id: str, conversation: SavedConversation) -> list[str]:
    """What ``%amplifier resume`` says once the session is back."""
    children = sorted(
        {
            str(s.metadata["name"])
            for s in saved_sessions()
            if s.parent_id == session_id and s.metadata.get("name")
        }
    )
    more = f"; children to continue with --child: {', '.join(children)}" if children else ""
    resumed = (
        f"resumed {session_id}: {len(conversation.messages)} messages, "
        f"{conversation.turns} turns; the next %%amplifier cell continues it{more}"
    )
    return [resumed, conversation.repaired] if conversation.repaired else [resumed]
