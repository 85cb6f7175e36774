"""The built-in loop, context and scripted provider inside a real AmplifierSession."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from amplifier_core import ToolResult
from waiting import until, within

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.modules.context_notebook import NotebookContext
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.plans import scripted_plan


class CountingTool:
    """A tool that records its calls; ``read_only`` decides whether it asks."""

    description = "Adds two numbers."
    input_schema = {"type": "object", "properties": {"a": {"type": "number"}}}

    def __init__(self, name: str = "add", read_only: bool = False) -> None:
        self.name = name
        self.read_only = read_only
        self.calls: list[dict[str, Any]] = []

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        self.calls.append(input)
        return ToolResult(success=True, output=f"sum={input['a'] + input['b']}")


class ScriptedApprovals:
    """An approval system answering from a list and recording the prompts."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.prompts: list[tuple[str, list[str]]] = []

    async def request_approval(self, prompt, options, timeout, default) -> str:
        self.prompts.append((prompt, list(options)))
        return self.answers.pop(0)


ADD_CALL = {"text": "Adding.", "tool_calls": [{"name": "add", "input": {"a": 2, "b": 3}}]}


async def started(script: list[Any], tool: CountingTool | None = None, **kw: Any) -> KernelSession:
    ks = KernelSession(**kw)
    await ks.set_plan(scripted_plan(script))
    session = await ks.ensure_session()
    if tool is not None:
        await session.coordinator.mount("tools", tool, name=tool.name)
    return ks


def provider(ks: KernelSession) -> Any:
    return ks.session.coordinator.get("providers")["scripted"]


def roles(messages: list[dict[str, Any]]) -> list[str]:
    return [m["role"] for m in messages]


async def test_conversation_continues_across_runs() -> None:
    ks = await started(["Four.", "Still four."])
    assert await ks.execute("What is 2 + 2?") == "Four."
    assert await ks.execute("And now?") == "Still four."
    second = provider(ks).requests[1]
    assert [m.role for m in second.messages] == ["user", "assistant", "user"]
    assert second.messages[0].content == "What is 2 + 2?"
    assert ks.turns == 2 and ks.totals.requests == 2
    await ks.reset()


async def test_the_scripted_provider_keeps_only_its_latest_requests() -> None:
    # Each request holds the whole conversation: kept all, a long session's memory grew
    # with the square of its turns.
    ks = await started([])
    for turn in range(6):
        await ks.execute(f"turn {turn}")
    kept = provider(ks).requests
    assert provider(ks).calls == 6 and len(kept) == 3
    assert [len(r.messages) for r in kept] == [7, 9, 11]  # the last three, in order
    await ks.reset()


async def test_tool_round_trip_when_allowed() -> None:
    tool = CountingTool()
    ks = await started([ADD_CALL, "It is 5."], tool)
    ks.policy.set("allow")
    events: list[str] = []
    ks.add_listener(lambda event, data: events.append(event))
    assert await ks.execute("add 2 and 3") == "It is 5."
    assert tool.calls == [{"a": 2, "b": 3}]
    messages = await ks.messages()
    assert roles(messages) == ["user", "assistant", "tool", "assistant"]
    assert messages[2]["content"] == "sum=5"
    assert messages[1]["tool_calls"][0]["id"] == messages[2]["tool_call_id"]
    for expected in (
        "prompt:submit",
        "provider:request",
        "tool:pre",
        "tool:post",
        "orchestrator:complete",
        "execution:end",
    ):
        assert expected in events
    await ks.reset()


async def test_denied_tool_does_not_run_and_the_model_is_told() -> None:
    tool = CountingTool()
    ks = await started([ADD_CALL, "OK, I won't."], tool)
    ks.policy.set("deny", ["add"])
    denied: list[dict] = []
    ks.add_listener(lambda e, d: denied.append(d) if e == "approval:denied" else None)
    assert await ks.execute("add") == "OK, I won't."
    assert tool.calls == []
    assert (await ks.messages())[2]["content"].startswith("Denied by hook:")
    assert denied and denied[0]["tool_name"] == "add"
    await ks.reset()


async def test_ask_without_an_approval_system_denies_and_says_why() -> None:
    tool = CountingTool()
    ks = await started([ADD_CALL, "Fine."], tool)
    await ks.execute("add")
    assert tool.calls == []
    assert "set a policy with %amplifier approve" in (await ks.messages())[2]["content"]
    await ks.reset()


async def test_allow_always_is_remembered_for_the_tool() -> None:
    tool = CountingTool()
    approvals = ScriptedApprovals(["Allow always"])
    ks = await started([ADD_CALL, ADD_CALL, "Done twice."], tool, approval_system=approvals)
    assert await ks.execute("add twice") == "Done twice."
    assert len(tool.calls) == 2
    assert len(approvals.prompts) == 1
    prompt, options = approvals.prompts[0]
    assert "'add'" in prompt and options == ["Allow once", "Allow always", "Deny"]
    await ks.reset()


async def test_read_only_tools_run_without_asking_under_the_default_policy() -> None:
    tool = CountingTool(read_only=True)
    approvals = ScriptedApprovals([])
    ks = await started([ADD_CALL, "5."], tool, approval_system=approvals)
    await ks.execute("add")
    assert tool.calls and not approvals.prompts
    await ks.reset()


async def test_stop_mid_stream_leaves_a_valid_conversation() -> None:
    long_answer = " ".join(["word"] * 400)
    ks = await started([long_answer, "Next answer."])
    provider(ks).chunk_delay = 0.01
    deltas: list[str] = []
    ks.add_listener(lambda e, d: deltas.append(d["delta"]) if e == "content_block:delta" else None)
    run = asyncio.ensure_future(ks.execute("talk"))
    await until(lambda: len(deltas) >= 5, "the answer's first five deltas")
    await ks.stop()
    await within(run, "the stopped run to end")
    # The stream would take 4 s at least (400 words, 10 ms apart): it was cut short.
    assert len(deltas) < 400
    # Nothing came back from the provider: the turn is rolled back.
    assert await ks.messages() == []
    assert await ks.execute("again") == "Next answer."
    await ks.reset()


async def test_stop_during_a_tool_call_answers_every_call() -> None:
    nap = 30.0

    class SlowTool(CountingTool):
        async def execute(self, input):
            await asyncio.sleep(nap)

    tool = SlowTool()
    ks = await started([ADD_CALL, "after"], tool)
    ks.policy.set("allow")
    started_tool = asyncio.Event()
    ks.add_listener(lambda e, d: started_tool.set() if e == "tool:pre" else None)
    run = asyncio.ensure_future(ks.execute("slow"))
    await within(started_tool.wait(), "the tool call to start")
    await ks.stop()
    # Well before the tool's own end: the stop cancelled the call rather than waiting.
    await within(run, "the stop to cut the tool's 30 s call short", timeout=nap / 2)
    messages = await ks.messages()
    assert roles(messages) == ["user", "assistant", "tool", "assistant"]
    assert messages[2]["content"].startswith("Not run:")
    assert await ks.execute("go on") == "after"
    await ks.reset()


async def test_a_failing_provider_rolls_back_and_reports_one_line() -> None:
    ks = await started(["ok"])
    provider(ks).when_exhausted = "error"
    provider(ks).script = []
    with pytest.raises(AmplifierUserError) as caught:
        await ks.execute("hello")
    assert "all are used" in str(caught.value) and "\n" not in str(caught.value)
    assert await ks.messages() == []
    await ks.reset()


async def test_iterations_are_bounded() -> None:
    tool = CountingTool()
    ks = await started([ADD_CALL], tool)
    ks.policy.set("allow")
    provider(ks).when_exhausted = "repeat"
    ks.session.coordinator.get("orchestrator").max_iterations = 3
    ends: list[tuple[str, dict]] = []
    ks.add_listener(
        lambda e, d: (
            ends.append((e, d)) if e in ("prompt:complete", "orchestrator:complete") else None
        )
    )
    answer = await ks.execute("loop forever")
    assert "stopped after 3 model calls" in answer
    assert len(tool.calls) == 3
    assert roles(await ks.messages())[-1] == "assistant"
    # No answer from the model: incomplete, as loop-basic says when it has none.
    assert [(e, d.get("length"), d.get("status"), d.get("turn_count")) for e, d in ends] == [
        ("prompt:complete", len(answer), None, None),
        ("orchestrator:complete", None, "incomplete", 3),
    ]
    await ks.reset()


async def test_streamed_blocks_are_announced_once_and_each_turn_says_how_it_ended() -> None:
    """provider-scripted streams its own content_block:* events and sets no
    content_blocks, so the loop adds none; the status words are loop-basic's."""
    ks = await started([{"thinking": "Hm.", "text": "Four."}, "ok"])
    events: list[tuple[str, dict]] = []
    ks.add_listener(lambda e, d: events.append((e, d)))
    assert await ks.execute("What is 2 + 2?") == "Four."
    starts = [d for e, d in events if e == "content_block:start"]
    assert [(d["block_type"], d["provider"]) for d in starts] == [
        ("thinking", "scripted"),
        ("text", "scripted"),
    ]
    provider(ks).when_exhausted = "error"
    provider(ks).script = []
    provider(ks).calls = 0
    with pytest.raises(AmplifierUserError):
        await ks.execute("fail")
    statuses = [d["status"] for e, d in events if e == "orchestrator:complete"]
    assert statuses == ["success", "error"]
    errors = [d for e, d in events if e == "provider:error"]
    assert [set(d["error"]) for d in errors] == [{"type", "msg"}]
    await ks.reset()


async def test_a_module_that_fails_to_mount_is_one_line_and_the_session_lives() -> None:
    ks = KernelSession()
    plan = scripted_plan(["fine"])
    plan["tools"] = [{"module": "tool-does-not-exist"}]
    await ks.set_plan(plan)
    assert await ks.execute("hi") == "fine"
    (line,) = ks.load_failures
    assert line.startswith(
        "tool-does-not-exist did not load: module 'tool-does-not-exist' is not installed or "
        "built in (this kernel has: tool-notebook, tool-notebook-edit, tool-python, "
        "tool-variables) — install it"
    )
    await ks.reset()


async def test_context_compaction_drops_whole_old_turns() -> None:
    context = NotebookContext({"max_tokens": 120})
    for i in range(6):
        await context.add_message({"role": "user", "content": f"question {i} " + "x" * 80})
        await context.add_message(
            {"role": "assistant", "content": "", "tool_calls": [{"id": f"t{i}", "tool": "a"}]}
        )
        await context.add_message({"role": "tool", "tool_call_id": f"t{i}", "content": "r"})
        await context.add_message({"role": "assistant", "content": f"answer {i}"})
    sent = await context.get_messages_for_request()
    assert sent[0]["role"] == "user" and sent[-1]["content"] == "answer 5"
    assert len(sent) < 24 and len(sent) % 4 == 0
    assert len(await context.get_messages()) == 24
    assert context.compactions == 1


async def test_a_hook_that_raises_is_reported_and_the_run_goes_on() -> None:
    ks = await started(["still fine"])

    async def broken(event: str, data: dict) -> None:
        raise ValueError("hook exploded")

    ks.session.coordinator.hooks.register("prompt:submit", broken, name="broken-hook")
    assert await ks.execute("hi") == "still fine"
    assert len(ks.hook_errors) == 1
    assert "broken-hook" in ks.hook_errors[0] and "hook exploded" in ks.hook_errors[0]
    await ks.reset()
