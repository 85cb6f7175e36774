"""A long conversation's requests: each message's model and size are made once.

loop-notebook keeps the ``Message`` it built from a context-notebook message for the
next request (the context hands out the same dict until the conversation is
replaced), and provider-scripted measures each message's JSON once: turn 1,000 then
costs about what turn 10 did (benchmarks/bench_long.py). These tests pin what must
not change with it: what the provider is sent, and its token counts.
"""

from __future__ import annotations

from typing import Any

import pytest
from amplifier_core import AmplifierSession, Message

from amplifier_jupyter.modules.provider_scripted._provider import _estimate_tokens, _MessageSizes
from amplifier_jupyter.session.plans import scripted_plan


def _plan() -> dict[str, Any]:
    plan = scripted_plan([])
    plan["tools"] = []
    return plan


@pytest.mark.asyncio
async def test_unchanged_messages_keep_their_model_and_requests_stay_what_they_were() -> None:
    async with AmplifierSession(config=_plan()) as session:
        provider = session.coordinator.get("providers")["scripted"]
        context = session.coordinator.get("context")
        for turn in range(4):
            await session.execute(f"Turn {turn}: what is 2 + 2?")
        first, last = provider.requests[-2], provider.requests[-1]
        # What was sent is the conversation as it was, in models equal to fresh ones.
        sent = [m.model_dump() for m in last.messages]
        conversation = await context.get_messages()
        assert sent == [Message(**m).model_dump() for m in conversation[:-1]]
        assert len(last.messages) == len(first.messages) + 2
        # The messages both requests hold are the same objects, built once.
        assert all(a is b for a, b in zip(first.messages, last.messages, strict=False))

        # A replaced conversation (an edit, a resume) gets models of its own.
        await context.set_messages(conversation[:2])
        await session.execute("After the edit")
        edited = provider.requests[-1]
        assert [m.model_dump() for m in edited.messages[:2]] == sent[:2]
        assert not any(a is b for a, b in zip(edited.messages, last.messages, strict=False))
        assert edited.messages[-1].content == "After the edit"


def test_token_estimate_is_the_same_as_measuring_the_whole_list() -> None:
    sizes = _MessageSizes()
    messages = [
        Message(role="user", content='héllo "quoted"'),
        Message(role="assistant", content=[{"type": "text", "text": "an answer " * 7}]),
        Message(role="tool", tool_call_id="t1", name="python", content='{"a": 1}'),
    ]
    for request in ([], messages[:1], messages, messages[1:], messages + messages[:1]):
        expected = _estimate_tokens([m.model_dump() for m in request])
        assert sizes.input_tokens(request) == expected
