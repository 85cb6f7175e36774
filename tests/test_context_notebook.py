"""context-notebook: what callers get cannot change the conversation, and reading it is cheap."""

from __future__ import annotations

import copy
import enum
from typing import Any

import pytest
from amplifier_core import Message

import amplifier_jupyter.modules.context_notebook._context as context_module
from amplifier_jupyter.modules.context_notebook import NotebookContext


class Colour(enum.StrEnum):
    RED = "red"


def tool_turn(i: int) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"question {i}"},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": f"calling {i}"}],
            "tool_calls": [{"id": f"t{i}", "tool": "add", "arguments": {"a": [i, i]}}],
        },
        {"role": "tool", "tool_call_id": f"t{i}", "content": "r"},
        {"role": "assistant", "content": [{"type": "text", "text": f"answer {i}"}]},
    ]


async def filled(turns: int = 3, **config: Any) -> NotebookContext:
    context = NotebookContext(config)
    for i in range(turns):
        for message in tool_turn(i):
            await context.add_message(message)
    return context


def scribble(messages: list[dict[str, Any]]) -> None:
    """Change everything a careless caller could change, at every depth."""
    for message in messages:
        message["role"] = "scribbled"
        content = message.get("content")
        if isinstance(content, list):
            content[0]["text"] = "scribbled"
            content.append({"type": "text", "text": "more"})
        for call in message.get("tool_calls") or []:
            call["arguments"]["a"].append(99)
    messages.append({"role": "user", "content": "added by a caller"})


async def test_what_callers_get_or_give_cannot_change_the_conversation() -> None:
    context = await filled()
    expected = [m for i in range(3) for m in tool_turn(i)]
    scribble(await context.get_messages())
    scribble(await context.get_messages_for_request())
    assert await context.get_messages() == expected
    # What a caller passed in and changes afterwards.
    mine = tool_turn(7)
    await context.add_message(mine[1])
    scribble([mine[1]])
    assert (await context.get_messages())[-1] == tool_turn(7)[1]
    given = copy.deepcopy(expected)
    await context.set_messages(given)
    scribble(given)
    assert await context.get_messages() == expected


async def test_compacted_requests_are_copies_too() -> None:
    context = await filled(6, max_tokens=120)
    sent = await context.get_messages_for_request()
    assert context.compactions == 1 and len(sent) < 24
    scribble(sent)
    assert await context.get_messages() == [m for i in range(6) for m in tool_turn(i)]


async def test_reading_copies_without_deepcopy_and_keeps_what_is_not_plain_data(
    monkeypatch,
) -> None:
    deep_copies = []
    real_deepcopy = copy.deepcopy

    def counted(value: Any, memo: Any = None) -> Any:
        deep_copies.append(type(value).__name__)
        return real_deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counted)
    context = await filled(50)
    for _ in range(5):
        await context.get_messages()
        await context.get_messages_for_request()
    assert deep_copies == []  # plain data: copied in C, not object by object
    # Anything else still comes back as it went in, and as a copy.
    message = Message(role="user", content="a model")
    await context.add_message({"role": "user", "content": "x", "meta": {"colour": Colour.RED}})
    await context.add_message({"role": "user", "content": "y", "model": message})
    *_, coloured, modelled = await context.get_messages()
    assert type(coloured["meta"]["colour"]) is Colour
    assert modelled["model"] == message and modelled["model"] is not message
    assert deep_copies  # those two went through copy.deepcopy


async def test_token_estimates_are_worked_out_once_per_message(monkeypatch) -> None:
    estimated = []
    real = context_module.estimate_tokens

    def counted(message: dict[str, Any]) -> int:
        estimated.append(message)
        return real(message)

    monkeypatch.setattr(context_module, "estimate_tokens", counted)
    context = await filled(10, max_tokens=10_000)
    assert len(estimated) == 40
    for _ in range(5):
        await context.get_messages_for_request()
    assert len(estimated) == 40
    tight = NotebookContext({"max_tokens": 120})
    await tight.set_messages(await context.get_messages())
    assert len(estimated) == 80  # once each, when they came in
    for _ in range(3):
        sent = await tight.get_messages_for_request()
    assert len(estimated) == 80
    assert sent[0] == {"role": "user", "content": "question 8"}  # compacted as before


@pytest.mark.parametrize(
    ("change", "rewrites"),
    [("add_message", False), ("set_messages", True), ("clear", True)],
)
async def test_revision_changes_when_the_conversation_is_rewritten(
    change: str, rewrites: bool
) -> None:
    context = await filled(1)
    before = context.revision
    if change == "add_message":
        await context.add_message({"role": "user", "content": "more"})
    elif change == "set_messages":
        await context.set_messages((await context.get_messages())[:2])
    else:
        await context.clear()
    assert (context.revision != before) is rewrites


async def test_the_snapshot_is_the_conversation_as_it_was() -> None:
    context = await filled(2)
    snapshot = context.snapshot()
    assert snapshot == await context.get_messages()
    assert context.snapshot(5) == snapshot[5:]  # from an index on: what came since
    await context.add_message({"role": "user", "content": "later"})
    await context.set_messages([])
    assert snapshot == [m for i in range(2) for m in tool_turn(i)]
    snapshot.clear()  # a list of its own
    assert context.snapshot() == []
