"""``session/stopping.py`` without a kernel: closing a stopped turn, and an escalated stop of
a plain ``AmplifierSession`` whose orchestrator (``loop-basic-like``) waits out a provider
call that ignores the cancellation token."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from amplifier_core import AmplifierSession
from widget_comms import basic_like_plan, stubborn

from amplifier_jupyter.loading.resolver import NotebookModuleLoader
from amplifier_jupyter.session import stopping

NOTE = stopping.STOPPED_NOTE
PROMPT = {"role": "user", "content": "Go."}
EARLIER = [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello."}]


class Context:
    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = list(messages)

    async def get_messages(self) -> list[dict[str, Any]]:
        return list(self.messages)

    async def set_messages(self, messages: list[dict[str, Any]]) -> None:
        self.messages = list(messages)

    async def add_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


def calls(*ids: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": "Working.",
        "tool_calls": [{"id": i, "tool": "nap", "arguments": {}} for i in ids],
    }


def result(call_id: str, content: str = "done") -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def not_run(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "name": "nap", "content": f"Not run: {NOTE}"}


async def closed(turn: list[dict[str, Any]]) -> list[dict[str, Any]]:
    context = Context([*EARLIER, *turn])
    await stopping.close_turn(context, EARLIER)
    return context.messages[len(EARLIER) :]


async def test_a_turn_the_model_said_nothing_in_is_rolled_back() -> None:
    assert await closed([PROMPT]) == []
    assert await closed([]) == []


async def test_every_open_tool_call_is_answered_after_its_own_results_and_a_note_ends_it() -> None:
    turn = [PROMPT, calls("a", "b"), result("a"), calls("c")]
    assert await closed(turn) == [
        PROMPT,
        calls("a", "b"),
        result("a"),
        not_run("b"),
        calls("c"),
        not_run("c"),
        {"role": "assistant", "content": NOTE},
    ]


async def test_a_turn_that_ended_with_an_answer_is_left_as_it_is() -> None:
    turn = [PROMPT, calls("a"), result("a"), {"role": "assistant", "content": "Done."}]
    assert await closed(turn) == turn


async def test_a_turn_after_tool_results_gets_the_closing_note() -> None:
    turn = [PROMPT, calls("a"), result("a")]
    assert await closed(turn) == [*turn, {"role": "assistant", "content": NOTE}]


# -- an escalated stop of a plain session --------------------------------------------


async def test_a_second_request_ends_a_provider_call_that_ignores_the_token() -> None:
    plan = basic_like_plan(stubborn())
    session = AmplifierSession(config=plan)
    session.coordinator.loader = NotebookModuleLoader(coordinator=session.coordinator)
    await session.initialize()
    seen: list[str] = []

    async def record(event: str, data: dict[str, Any]) -> Any:
        seen.append(event)

    session.coordinator.hooks.register("orchestrator:complete", record, name="test")
    try:
        run = asyncio.ensure_future(stopping.execute(session, "Go."))
        provider = session.coordinator.get("providers")["stubborn"]
        while not provider.calls:  # in the 30 s call
            await asyncio.sleep(0.01)
        assert stopping.orchestrator_tasks(session.coordinator)
        started = time.monotonic()
        await session.coordinator.request_cancel()
        stopping.requested()
        stopping.requested()  # the second request: immediate
        answer = await asyncio.wait_for(run, 10)  # the provider call is 30 s long
        assert answer == "" and time.monotonic() - started < 10
        assert not stopping.orchestrator_tasks(session.coordinator)  # really ended
        assert await session.coordinator.get("context").get_messages() == []
        assert seen == ["orchestrator:complete"]  # ours, as no run: the gate let it pass
        # The gate and the fence are gone with the run: the next turn answers (the token
        # stays set until a host resets it, as KernelSession.execute does).
        session.coordinator.cancellation.reset()
        assert await session.execute("Again.") == "At last."
        assert [m["role"] for m in await session.coordinator.get("context").get_messages()] == [
            "user",
            "assistant",
        ]
    finally:
        await session.cleanup()
        await asyncio.sleep(0.2)
