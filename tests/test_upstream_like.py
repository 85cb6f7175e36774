"""The test modules in tests/upstream_like behave as Amplifier's own modules do.

Upstream modules are not on PyPI and CI reaches no git host (docs/design.md,
fact 25), so the host's features are tested under modules written here to behave as
upstream ``loop-basic``, ``loop-streaming``, ``hooks-approval``, ``tool-bash`` and
``tool-filesystem`` were read and measured to (each module's docstring says
where). These tests pin that behaviour: each mounts the module through a local
directory ``source`` in a real ``AmplifierSession`` with the offline
``provider-scripted``, and says which upstream behaviour it stands for.

Small wrappers around provider-scripted (its script still answers) give it an
upstream provider's shape where a test needs one: no ``stream`` attribute
(provider-scripted's is its config flag, which loop-streaming would call),
``content_blocks`` as provider-anthropic sets them, a slow first answer, a real
``stream()`` method.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from amplifier_core import (
    AmplifierSession,
    ApprovalRequest,
    ApprovalResponse,
    HookResult,
)
from amplifier_core import events as E
from provider_shapes import AnthropicShaped, NoStream

from amplifier_jupyter.loading.resolver import NotebookModuleLoader

UPSTREAM_LIKE = Path(__file__).parent / "upstream_like"
TEST_TOOLS = Path(__file__).parent / "modules"  # tool-echo: echo, nap, block
DEADLINE = 30.0
# A short drain after cleanup() before the loop ends (docs/design.md, fact 4).
CLEANUP_DRAIN = 0.2
# Keys amplifier-core adds to every event's data.
KERNEL_KEYS = {"timestamp", "parent_id", "session_id"}
CANCEL_EVENTS = (E.CANCEL_REQUESTED, E.CANCEL_COMPLETED)


def like(module_id: str, **config: Any) -> dict[str, Any]:
    """A plan entry for a module of tests/upstream_like, found through its local source."""
    return {"module": module_id, "source": str(UPSTREAM_LIKE), "config": config}


ECHO = {"module": "tool-echo", "source": str(TEST_TOOLS)}


def plan(
    orchestrator: str,
    script: list[Any],
    *,
    tools: list[dict[str, Any]] | None = None,
    hooks: list[dict[str, Any]] | None = None,
    **orchestrator_config: Any,
) -> dict[str, Any]:
    return {
        "session": {
            "orchestrator": like(orchestrator, **orchestrator_config),
            "context": "context-notebook",
        },
        # stream: false, so every content_block:* event comes from the loop, not the provider.
        "providers": [
            {"module": "provider-scripted", "config": {"script": script, "stream": False}}
        ],
        "tools": tools if tools is not None else [ECHO],
        "hooks": hooks or [],
    }


def call(name: str, call_id: str | None = None, **input: Any) -> dict[str, Any]:
    return {"name": name, "input": input, **({"id": call_id} if call_id else {})}


def calls(*tool_calls: dict[str, Any], text: str = "Working.") -> dict[str, Any]:
    return {"text": text, "tool_calls": list(tool_calls)}


class Run:
    """A started session and every event it emitted, in order."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def record(self, event: str, data: dict[str, Any]) -> HookResult:
        self.events.append((event, {k: v for k, v in data.items() if k not in KERNEL_KEYS}))
        return HookResult(action="continue")

    @property
    def coordinator(self) -> Any:
        return self.session.coordinator

    @property
    def scripted(self) -> Any:
        return self.coordinator.get("providers")["scripted"]

    def names(self) -> list[str]:
        """The loop's event names: the session's and the provider's own (``llm:*``) left out."""
        return [name for name, _ in self.events if not name.startswith(("session:", "llm:"))]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]

    def loop_events(self) -> list[str]:
        """The event names, tool events left out (parallel tools interleave)."""
        return [n for n in self.names() if not n.startswith("tool:")]

    async def execute(self, prompt: str = "go") -> str:
        return await asyncio.wait_for(self.session.execute(prompt), DEADLINE)

    async def messages(self) -> list[dict[str, Any]]:
        return await self.coordinator.get("context").get_messages()

    def on(self, event: str, handler: Any, priority: int = 0) -> None:
        self.coordinator.hooks.register(event, handler, priority=priority, name=f"test-{event}")

    async def use_provider(self, provider: Any) -> Any:
        await self.coordinator.mount("providers", provider, name="scripted")
        return provider


@asynccontextmanager
async def started(
    the_plan: dict[str, Any], capabilities: dict[str, Any] | None = None
) -> AsyncIterator[Run]:
    session = AmplifierSession(config=the_plan)
    # Local-directory sources are found by the package's loader (the Rust session
    # ignores loader=: docs/design.md, fact 2).
    session.coordinator.loader = NotebookModuleLoader(coordinator=session.coordinator)
    for name, value in (capabilities or {}).items():
        session.coordinator.register_capability(name, value)
    run = Run(session)
    for event in E.ALL_EVENTS:
        # First of all handlers, so it sees a call that a later hook denies.
        session.coordinator.hooks.register(event, run.record, priority=-1000, name="recorder")
    await session.initialize()
    try:
        yield run
    finally:
        await session.cleanup()
        await asyncio.sleep(CLEANUP_DRAIN)


def touching_plan(orchestrator: str, folder: Path) -> dict[str, Any]:
    """A turn whose one tool call (tool-bash-like) creates ``folder / "ran"``, then "Done."."""
    return plan(
        orchestrator,
        [calls(call("bash", command="touch ran")), "Done."],
        tools=[like("tool-bash-like", working_dir=str(folder))],
    )


def request_texts(request: Any) -> list[tuple[str, Any]]:
    return [(m.role, m.content) for m in request.messages]


# -- provider-scripted in an upstream provider's shape ----------------------------------


class Slow(NoStream):
    """The first model call waits until the test opens ``gate`` (a slow answer)."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.calls = 0

    async def complete(self, request: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            self.entered.set()
            await self.gate.wait()
        return await self._inner.complete(request, **kwargs)


async def stopped_during_slow_call(run: Run, *, immediate: bool) -> Slow:
    """Start a turn, cancel while its first model call is in progress, then let it answer.

    Checks that the cancel did not end the turn while the call was in progress.
    """
    slow = await run.use_provider(Slow(run.scripted))
    task = asyncio.ensure_future(run.session.execute("go"))
    await asyncio.wait_for(slow.entered.wait(), DEADLINE)
    await run.coordinator.request_cancel(immediate=immediate)
    await asyncio.sleep(0.3)  # room for a loop that would react during the call
    assert not task.done()
    assert not any(run.of(name) for name in CANCEL_EVENTS)
    slow.gate.set()
    await asyncio.wait_for(task, DEADLINE)
    return slow


# -- loop-basic-like ----------------------------------------------------------------------


async def test_loop_basic_events_and_payloads() -> None:
    """Upstream loop-basic's events (issue 15): usage as an object, no streaming, one
    parallel group per response."""
    script = [calls(call("echo", text="a"), call("echo", text="b")), calls(call("echo", text="c"))]
    started_tools: list[str] = []
    together: list[bool] = []
    both_started = asyncio.Event()

    async def wait_for_the_other(event: str, data: dict[str, Any]) -> HookResult:
        # Each call of the first response waits here until both have reached tool:pre:
        # run one after the other, the first would wait in vain.
        if data["tool_input"]["text"] in ("a", "b"):
            started_tools.append(data["tool_input"]["text"])
            if len(started_tools) == 2:
                both_started.set()
            try:
                await asyncio.wait_for(both_started.wait(), 5)
                together.append(True)
            except TimeoutError:
                together.append(False)
        return HookResult(action="continue")

    async with started(plan("loop-basic-like", [*script, "Done."])) as run:
        run.on("tool:pre", wait_for_the_other)
        assert await run.execute() == "Done."
        assert together == [True, True]
        assert run.loop_events() == [
            "prompt:submit",
            *["provider:request", "provider:response"] * 3,
            "prompt:complete",
            "orchestrator:complete",
        ]
        assert run.of("prompt:submit") == [{"prompt": "go"}]
        assert run.of("provider:request") == [
            {"provider": "scripted", "iteration": i} for i in range(3)
        ]
        responses = run.of("provider:response")
        assert [r["tool_calls"] for r in responses] == [True, True, False]
        for response in responses:
            assert set(response) == {"provider", "usage", "tool_calls"}
            # The Usage model, which amplifier-core hands to a hook as its str() (fact 23).
            assert isinstance(response["usage"], str)
            assert response["usage"].startswith("input_tokens=")

        pre, post = run.of("tool:pre"), run.of("tool:post")
        assert all(set(p) == {"tool_name", "tool_input", "parallel_group_id"} for p in pre)
        keys = {"tool_name", "tool_input", "result", "parallel_group_id"}
        assert all(set(p) == keys for p in post)
        groups = {p["tool_input"]["text"]: p["parallel_group_id"] for p in pre}
        assert groups["a"] == groups["b"] != groups["c"]
        assert {p["tool_input"]["text"]: p["result"] for p in post} == {
            "a": "echo: a",
            "b": "echo: b",
            "c": "echo: c",
        }

        assert run.of("prompt:complete") == [{"response_preview": "Done.", "length": 5}]
        assert run.of("orchestrator:complete") == [
            {"orchestrator": "loop-basic", "turn_count": 2, "status": "success"}
        ]
        assert [m["role"] for m in await run.messages()] == [
            "user",
            "assistant",
            "tool",
            "tool",
            "assistant",
            "tool",
            "assistant",
        ]


async def test_loop_basic_content_blocks_and_config() -> None:
    """loop-basic emits content_block:start/end per block of the response's
    content_blocks (no deltas), passes extended_thinking and reasoning_effort."""
    the_plan = plan(
        "loop-basic-like",
        [{"thinking": "Hm.", "text": "Four."}],
        extended_thinking=True,
        reasoning_effort="low",
    )
    async with started(the_plan) as run:
        provider = await run.use_provider(AnthropicShaped(run.scripted))
        assert await run.execute() == "Four."
        assert provider.kwargs == [{"extended_thinking": True}]
        assert run.scripted.requests[0].reasoning_effort == "low"
        assert run.of("content_block:start") == [
            {"block_type": "thinking", "block_index": 0, "total_blocks": 2},
            {"block_type": "text", "block_index": 1, "total_blocks": 2},
        ]
        ends = run.of("content_block:end")
        assert [e["block"] for e in ends] == [
            {"type": "thinking", "text": "Hm."},
            {"type": "text", "text": "Four."},
        ]
        assert all(e["usage"]["input_tokens"] > 0 for e in ends)  # model_dump(): a dict
        assert not run.of("content_block:delta")


async def test_loop_basic_without_content_blocks_emits_no_block_events() -> None:
    """provider-scripted sets no content_blocks: under loop-basic only the provider
    itself could emit content_block events (stream: false here)."""
    async with started(plan("loop-basic-like", ["Four."])) as run:
        assert await run.execute() == "Four."
        assert not [n for n in run.names() if n.startswith("content_block:")]


async def test_loop_basic_modify_on_tool_post_is_what_the_model_reads() -> None:
    """A tool:post ``modify`` replaces the result the next request carries (JSON for
    a dict); without one, the model reads amplifier-core's copy of the ToolResult."""

    async def modify(event: str, data: dict[str, Any]) -> HookResult:
        replaced = {"a": {"replaced": [1]}, "b": "plain words"}.get(data["tool_input"]["text"])
        if replaced is None:
            return HookResult(action="continue")
        return HookResult(action="modify", data={**data, "result": replaced})

    script = [calls(call("echo", text="a"), call("echo", text="b"), call("echo", text="c"))]
    async with started(plan("loop-basic-like", [*script, "Done."])) as run:
        run.on("tool:post", modify)
        await run.execute()
        tool_messages = [c for role, c in request_texts(run.scripted.requests[1]) if role == "tool"]
        assert tool_messages == [json.dumps({"replaced": [1]}), "plain words", "echo: c"]


async def test_loop_basic_model_reads_python_repr_of_a_dict_output(tmp_path: Path) -> None:
    """Under amplifier-core 2.0.2, loop-basic hands the model str() of a ToolResult
    whose output is a dict (measured with upstream's source): a Python repr, not JSON."""
    the_plan = plan(
        "loop-basic-like",
        [calls(call("bash", command="echo hi")), "Done."],
        tools=[like("tool-bash-like", working_dir=str(tmp_path))],
    )
    async with started(the_plan) as run:
        await run.execute()
        tool_message = [m for m in await run.messages() if m["role"] == "tool"][0]
        assert tool_message["content"] == "{'stdout': 'hi\\n', 'stderr': '', 'returncode': 0}"


async def test_loop_basic_ephemeral_injections_reach_one_request_only() -> None:
    """An ephemeral inject_context on provider:request goes into that request, one on
    tool:post into the next request (appended to the last tool message when asked);
    neither is stored."""

    async def on_request(event: str, data: dict[str, Any]) -> HookResult:
        if data["iteration"] == 0:
            return HookResult(action="inject_context", context_injection="first", ephemeral=True)
        return HookResult(action="continue")

    async def on_post(event: str, data: dict[str, Any]) -> HookResult:
        text = data["tool_input"]["text"]
        return HookResult(
            action="inject_context",
            context_injection=f"after {text}",
            ephemeral=True,
            append_to_last_tool_result=text == "b",
        )

    script = [calls(call("echo", text="a")), calls(call("echo", text="b")), "Done."]
    async with started(plan("loop-basic-like", script)) as run:
        run.on("provider:request", on_request)
        run.on("tool:post", on_post)
        await run.execute()
        first, second, third = (request_texts(r) for r in run.scripted.requests)
        assert first[-1] == ("system", "first")
        assert second[-1] == ("system", "after a")
        assert ("system", "first") not in second
        assert third[-1] == ("tool", "echo: b\n\nafter b")
        assert ("system", "after a") not in third
        stored = json.dumps(await run.messages())
        assert "first" not in stored and "after" not in stored


async def test_loop_basic_prompt_submit_deny_stops_the_turn() -> None:
    async def deny(event: str, data: dict[str, Any]) -> HookResult:
        return HookResult(action="deny", reason="not now")

    async with started(plan("loop-basic-like", ["Never."])) as run:
        run.on("prompt:submit", deny)
        assert await run.execute() == "Operation denied: not now"
        assert run.scripted.calls == 0
        assert await run.messages() == []
        assert run.names() == ["prompt:submit"]


async def test_loop_basic_tool_pre_deny_skips_the_tool(tmp_path: Path) -> None:
    """A tool:pre deny (applied through process_hook_result) keeps tool-bash from running."""

    async def deny(event: str, data: dict[str, Any]) -> HookResult:
        return HookResult(action="deny", reason="blocked")

    the_plan = touching_plan("loop-basic-like", tmp_path)
    async with started(the_plan) as run:
        run.on("tool:pre", deny)
        assert await run.execute() == "Done."
        assert not (tmp_path / "ran").exists()
        assert not run.of("tool:post")
        tool_message = [m for m in await run.messages() if m["role"] == "tool"][0]
        assert tool_message["content"] == "Denied by hook: blocked"


async def test_loop_basic_tool_call_without_input_fails_the_turn() -> None:
    """Upstream loop-basic reads ``tc.arguments or tc.get(...)``: a ToolCall with empty
    arguments fails the turn (measured with its source)."""
    async with started(plan("loop-basic-like", [calls(call("echo"))])) as run:
        with pytest.raises(Exception, match="'ToolCall' object has no attribute 'get'"):
            await run.execute()
        assert [e["error"]["type"] for e in run.of("provider:error")] == ["AttributeError"]
        assert not run.of("tool:pre")


async def test_loop_basic_graceful_cancel_waits_out_the_provider_call(tmp_path: Path) -> None:
    """loop-basic checks cancellation only between model calls (fact 23): a graceful
    cancel during a slow call lets it finish and its tools run, then stops the turn."""
    the_plan = touching_plan("loop-basic-like", tmp_path)
    async with started(the_plan) as run:
        slow = await stopped_during_slow_call(run, immediate=False)
        assert slow.calls == 1
        assert (tmp_path / "ran").exists()
        assert run.of("provider:response")[0]["tool_calls"] is True
        ours = [(n, d) for n, d in run.events if d.get("orchestrator") == "loop-basic"]
        assert ours == [
            (
                "cancel:requested",
                {"orchestrator": "loop-basic", "state": "graceful", "turn_count": 1},
            ),
            (
                "cancel:completed",
                {"orchestrator": "loop-basic", "was_immediate": False, "turn_count": 1},
            ),
            (
                "orchestrator:complete",
                {"orchestrator": "loop-basic", "turn_count": 1, "status": "cancelled"},
            ),
        ]
        assert [m["role"] for m in await run.messages()] == ["user", "assistant", "tool"]


async def test_loop_basic_immediate_cancel_stops_right_after_the_provider_call(
    tmp_path: Path,
) -> None:
    """An immediate cancel also waits for the call, then stops before its tools run."""
    the_plan = touching_plan("loop-basic-like", tmp_path)
    async with started(the_plan) as run:
        await stopped_during_slow_call(run, immediate=True)
        assert not (tmp_path / "ran").exists()
        assert not run.of("provider:response")
        assert run.of("orchestrator:complete") == [
            {"orchestrator": "loop-basic", "turn_count": 0, "status": "cancelled"}
        ]
        assert [m["role"] for m in await run.messages()] == ["user"]


# -- loop-streaming-like ------------------------------------------------------------------


async def test_loop_streaming_events_and_payloads() -> None:
    """Upstream loop-streaming on a provider without stream(): no provider:response (no
    usage event), usage only in content_block:end, iterations from 1, one
    orchestrator:complete, no prompt:complete."""

    async def on_submit(event: str, data: dict[str, Any]) -> HookResult:
        return HookResult(action="inject_context", context_injection="note", ephemeral=True)

    script = [calls(call("echo", "t1", text="a")), "Done."]
    async with started(plan("loop-streaming-like", script)) as run:
        await run.use_provider(NoStream(run.scripted))
        run.on("prompt:submit", on_submit)
        assert await run.execute() == "Done."
        assert run.loop_events() == [
            "prompt:submit",
            "execution:start",
            "provider:request",
            *["content_block:start", "content_block:end"] * 2,
            "provider:request",
            "content_block:start",
            "content_block:end",
            "execution:end",
            "orchestrator:complete",
        ]
        assert [r["iteration"] for r in run.of("provider:request")] == [1, 2]
        starts = run.of("content_block:start")
        assert [s["block_type"] for s in starts] == ["text", "tool_call", "text"]
        assert all(e["usage"]["output_tokens"] > 0 for e in run.of("content_block:end"))
        (pre,) = run.of("tool:pre")
        assert set(pre) == {"tool_name", "tool_call_id", "tool_input", "parallel_group_id"}
        assert (pre["tool_name"], pre["tool_call_id"], pre["tool_input"]) == (
            "echo",
            "t1",
            {"text": "a"},
        )
        # tool:post carries model_dump(); its copy is what the model reads, as JSON.
        result = {"success": True, "output": "echo: a", "error": None}
        assert run.of("tool:post")[0]["result"] == result
        tool_message = [m for m in await run.messages() if m["role"] == "tool"][0]
        assert tool_message["name"] == "echo"
        assert json.loads(tool_message["content"]) == result
        # The ephemeral injection of prompt:submit rides the first request only.
        assert request_texts(run.scripted.requests[0])[-1] == ("system", "note")
        assert ("system", "note") not in request_texts(run.scripted.requests[1])
        assert run.of("orchestrator:complete") == [
            {
                "orchestrator": "loop-streaming",
                "turn_count": 2,
                "status": "success",
                "goal_turn": None,
                "goal_final": True,
                "continuations": None,
            }
        ]


class FlagStream(NoStream):
    """A provider whose ``stream`` is a flag, not a method (as provider-scripted's is)."""

    stream = True


async def test_loop_streaming_calls_any_stream_attribute() -> None:
    """Upstream loop-streaming calls ``provider.stream`` whenever the attribute exists,
    so a ``stream`` flag fails the turn (measured with its source: provider-scripted,
    whose ``stream`` is its config flag, cannot run under it)."""
    async with started(plan("loop-streaming-like", ["Never."])) as run:
        await run.use_provider(FlagStream(run.scripted))
        with pytest.raises(Exception, match="'bool' object is not callable"):
            await run.execute()
        assert [e["error"]["type"] for e in run.of("provider:error")] == ["TypeError"]
        assert [e["status"] for e in run.of("orchestrator:complete")] == ["error"]
        assert run.scripted.calls == 0


class Streams(NoStream):
    """A provider with a real ``stream()``: a thinking chunk, then two text chunks."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.tools: list[Any] = []

    def stream(self, request: Any, tools: list[Any] | None = None) -> AsyncIterator[dict]:
        self.tools = list(tools or [])

        async def chunks() -> AsyncIterator[dict]:
            for chunk in ({"content": "hm", "block_type": "thinking"}, {"content": "Hello "}):
                yield chunk
            yield {"content": "world", "block_type": "text"}

        return chunks()


async def test_loop_streaming_reads_a_provider_stream() -> None:
    """With a stream() method, loop-streaming keeps the text chunks for its answer and
    emits no event per chunk (upstream streams to its caller, not to hooks)."""
    async with started(plan("loop-streaming-like", ["unused"])) as run:
        provider = await run.use_provider(Streams(run.scripted))
        assert await run.execute() == "Hello world"
        assert [t.name for t in provider.tools] == ["echo", "nap", "block"]
        assert not [n for n in run.names() if n.startswith("content_block:")]
        assert (await run.messages())[-1] == {"role": "assistant", "content": "Hello world"}
        assert run.scripted.calls == 0


async def test_loop_streaming_graceful_cancel_waits_out_the_call_then_stops_after_tools(
    tmp_path: Path,
) -> None:
    """loop-streaming also never looks during a model call; it stops after the round
    of tools, keeping the results and closing the turn with an assistant message."""
    the_plan = touching_plan("loop-streaming-like", tmp_path)
    async with started(the_plan) as run:
        slow = await stopped_during_slow_call(run, immediate=False)
        assert slow.calls == 1
        assert (tmp_path / "ran").exists()
        assert [m["role"] for m in await run.messages()] == [
            "user",
            "assistant",
            "tool",
            "assistant",
        ]
        assert "execution:end" not in run.names()
        ours = [n for n, d in run.events if d.get("orchestrator") == "loop-streaming"]
        assert ours == ["cancel:requested", "cancel:completed", "orchestrator:complete"]
        assert run.of("orchestrator:complete")[0]["status"] == "cancelled"


# -- hooks-approval-like ------------------------------------------------------------------


def approval_plan(tmp_path: Path, script: list[Any], **hook_config: Any) -> dict[str, Any]:
    tools = [
        like("tool-bash-like", working_dir=str(tmp_path)),
        like("tool-filesystem-like", working_dir=str(tmp_path)),
    ]
    return plan(
        "loop-basic-like", script, tools=tools, hooks=[like("hooks-approval-like", **hook_config)]
    )


class Answers:
    """An ``ApprovalProvider`` answering from a list and recording each request."""

    def __init__(self, *answers: ApprovalResponse) -> None:
        self.answers = list(answers)
        self.requests: list[ApprovalRequest] = []

    async def request_approval(self, request: ApprovalRequest) -> ApprovalResponse:
        self.requests.append(request)
        return self.answers.pop(0)


async def test_approval_hook_auto_denies_without_a_provider(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """hooks-approval with no provider registered (issue 13, before the kernel registered one):
    it logs the auto-deny line and denies; a tool:pre handler of default priority
    never sees the denied call."""
    late: list[str] = []

    async def later_handler(event: str, data: dict[str, Any]) -> HookResult:
        late.append(data["tool_name"])
        return HookResult(action="continue")

    the_plan = approval_plan(tmp_path, [calls(call("bash", command="touch ran")), "Done."])
    async with started(the_plan) as run:
        run.on("tool:pre", later_handler)
        with caplog.at_level(logging.WARNING):
            assert await run.execute() == "Done."
        assert not (tmp_path / "ran").exists()
        # Upstream's logger name, so that a host routing it routes this one too.
        upstream_logger = "amplifier_module_hooks_approval.approval_hook"
        assert [
            (r.levelname, r.getMessage()) for r in caplog.records if r.name == upstream_logger
        ] == [("WARNING", "No approval provider registered, auto-denying")]
        assert run.of("approval:required") == [
            {"tool_name": "bash", "action": "Execute: touch ran", "risk_level": "high"}
        ]
        assert run.of("approval:denied") == [
            {"tool_name": "bash", "reason": "No approval provider available"}
        ]
        assert late == []
        tool_message = [m for m in await run.messages() if m["role"] == "tool"][0]
        assert tool_message["content"] == "Denied by hook: No approval provider available"


async def test_approval_hook_asks_a_registered_provider(tmp_path: Path) -> None:
    """A provider registered through ``approval.register_provider`` (as
    amplifier-app-cli does, fact 24) is asked; its answer decides."""
    script = [
        calls(call("bash", command="touch first")),
        "Ran.",
        calls(call("bash", command="touch second")),
        "Refused.",
    ]
    answers = Answers(
        ApprovalResponse(approved=True, remember=True),
        ApprovalResponse(approved=False, reason="not that one"),
    )
    async with started(approval_plan(tmp_path, script)) as run:
        run.coordinator.get_capability("approval.register_provider")(answers)
        await run.execute()
        await run.execute()
        assert (tmp_path / "first").exists()
        assert not (tmp_path / "second").exists()
        first = answers.requests[0]
        assert (first.tool_name, first.action, first.details, first.risk_level, first.timeout) == (
            "bash",
            "Execute: touch first",
            {"command": "touch first"},
            "high",
            None,
        )
        assert len(answers.requests) == 2  # remember=True changes nothing
        assert run.of("approval:granted") == [{"tool_name": "bash", "reason": "User approved"}]
        assert run.of("approval:denied") == [{"tool_name": "bash", "reason": "not that one"}]
        tool_messages = [m["content"] for m in await run.messages() if m["role"] == "tool"]
        assert tool_messages[-1] == "Denied by hook: not that one"


async def test_approval_hook_asks_only_for_its_tools(tmp_path: Path) -> None:
    """Upstream asks for bash (``echo`` commands are auto-approved by its default
    rules) and never for read_file, unless the config names it."""
    (tmp_path / "notes.txt").write_text("hello\n")
    script = [
        calls(call("read_file", file_path="notes.txt"), call("bash", command="echo hi")),
        "Done.",
        calls(call("read_file", file_path="notes.txt")),
        "Done again.",
    ]
    answers = Answers()
    async with started(approval_plan(tmp_path, script[:2])) as run:
        run.coordinator.get_capability("approval.register_provider")(answers)
        await run.execute()
        assert answers.requests == []
        assert run.of("approval:granted") == [
            {"tool_name": "bash", "reason": "Auto-approved by rule"}
        ]
        assert len(run.of("tool:post")) == 2

    answers = Answers(ApprovalResponse(approved=True))
    asks_read = approval_plan(tmp_path, script[2:], tools={"read_file": {"require_approval": True}})
    async with started(asks_read) as run:
        run.coordinator.get_capability("approval.register_provider")(answers)
        await run.execute()
        assert [(r.tool_name, r.action, r.risk_level) for r in answers.requests] == [
            ("read_file", "Execute read_file", "medium")
        ]


async def test_approval_hook_timeout_gives_the_default_action(tmp_path: Path) -> None:
    class Silent:
        async def request_approval(self, request: ApprovalRequest) -> ApprovalResponse:
            await asyncio.Event().wait()
            raise AssertionError("never answered")

    the_plan = approval_plan(
        tmp_path, [calls(call("bash", command="touch ran")), "Done."], default_timeout=0.1
    )
    async with started(the_plan) as run:
        run.coordinator.get_capability("approval.register_provider")(Silent())
        await run.execute()
        assert not (tmp_path / "ran").exists()
        assert run.of("approval:denied") == [
            {"tool_name": "bash", "reason": "Approval request timed out"}
        ]


# -- tool-bash-like and tool-filesystem-like ----------------------------------------------


async def test_bash_tool_runs_commands_and_declares_no_read_only(tmp_path: Path) -> None:
    """tool-bash: a dict of stdout/stderr/returncode, the session's working dir, a
    timeout; ``require_approval`` but no ``read_only`` (fact 23)."""
    the_plan = plan("loop-basic-like", [], tools=[like("tool-bash-like")])
    async with started(the_plan, {"session.working_dir": str(tmp_path)}) as run:
        bash = run.coordinator.get("tools")["bash"]
        assert not hasattr(bash, "read_only")
        assert bash.require_approval is True
        result = await bash.execute({"command": "touch ran && echo out; echo err >&2; exit 3"})
        assert (tmp_path / "ran").exists()
        assert result.success is False
        assert result.output == {"stdout": "out\n", "stderr": "err\n", "returncode": 3}
        late = await bash.execute({"command": "sleep 20", "timeout": 0.2})
        assert late.success is False
        assert late.output == "Command timed out after 0.2 seconds"


async def test_read_file_tool_reads_numbered_lines_and_declares_nothing(tmp_path: Path) -> None:
    """tool-filesystem's read_file: cat -n lines, offset/limit, artifact:read; it
    declares neither read_only nor any metadata (fact 23, issue 13)."""
    (tmp_path / "three.txt").write_text("one\ntwo\nthree\n")
    the_plan = plan("loop-basic-like", [], tools=[like("tool-filesystem-like")])
    async with started(the_plan, {"session.working_dir": str(tmp_path)}) as run:
        read = run.coordinator.get("tools")["read_file"]
        assert not hasattr(read, "read_only") and not hasattr(read, "get_metadata")
        result = await read.execute({"file_path": "three.txt", "offset": 2, "limit": 1})
        assert result.output == {
            "file_path": str(tmp_path / "three.txt"),
            "content": "     2\ttwo",
            "total_lines": 3,
            "lines_read": 1,
            "offset": 2,
        }
        assert run.of("artifact:read") == [{"path": str(tmp_path / "three.txt"), "bytes": 14}]
        missing = await read.execute({"file_path": "absent.txt"})
        assert missing.success is False
        assert missing.output == "Path not found: absent.txt"
