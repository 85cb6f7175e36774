"""``loop-notebook`` behaves as Amplifier's ``loop-basic`` (issue 15), except where it means not to.

Each test runs one scripted plan — the same provider-scripted replies, hooks and
tools — on the real amplifier-core ``AmplifierSession`` twice: under the
built-in ``loop-notebook`` and under ``loop-basic-like`` (tests/upstream_like:
written to behave as upstream ``loop-basic`` was read and measured to,
docs/design.md, facts 23 and 25). It expects the same requests to the
provider, the same conversation at the end, the same answer, and the same
events with the same values under their documented keys.

The differences that are by design are listed here, and each is checked to
hold as listed (nothing else may differ):

* loop-notebook brackets every turn with ``execution:start`` / ``execution:end``,
  and ends every turn with ``orchestrator:complete``: after a ``prompt:submit``
  deny (status ``incomplete``) and after a failure (status ``error``, as
  upstream ``loop-streaming`` says), where loop-basic emits nothing more;
* it runs a response's tool calls one after the other (a notebook user
  approves one at a time), still under one ``parallel_group_id`` per response,
  where loop-basic runs them in parallel;
* it says how a hook's ``ask_user`` was decided (``approval:granted`` /
  ``approval:denied``, ``source: "hook"``);
* it names itself (``orchestrator: "loop-notebook"``), adds keys
  (:data:`EXTRA_KEYS`), sends ``usage`` and the ``tool:post`` ``result`` as dicts
  (loop-basic sends the objects, which amplifier-core hands to hooks as their
  ``str()``), and keeps the tool's name in a tool result message (``name``);
* it closes a stopped or failed turn so that every tool call has a result and
  an assistant message ends it (loop-basic leaves a gracefully stopped turn
  ending in tool results, and a failed one as it was); a turn that failed
  before the model answered is rolled back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from amplifier_core import AmplifierSession, HookResult
from amplifier_core import events as E
from provider_shapes import AnthropicShaped
from waiting import within

from amplifier_jupyter.loading.resolver import NotebookModuleLoader

HERE = Path(__file__).parent
UPSTREAM_LIKE = HERE / "upstream_like"
ECHO = {"module": "tool-echo", "source": str(HERE / "modules")}
NOTEBOOK, BASIC = "loop-notebook", "loop-basic-like"
LOOP_NAMES = {NOTEBOOK: "loop-notebook", BASIC: "loop-basic"}
# Keys amplifier-core adds to every event's data.
KERNEL_KEYS = {"timestamp", "parent_id", "session_id"}
# A short drain after cleanup() before the loop ends (docs/design.md, fact 4).
CLEANUP_DRAIN = 0.2
# Where a run's events of one execute() begin.
TURN = "<turn>"

# What each event carries under loop-basic (issue 15; tests/upstream_like).
DOCUMENTED = {
    E.PROMPT_SUBMIT: {"prompt"},
    E.PROVIDER_REQUEST: {"provider", "iteration"},
    E.PROVIDER_RESPONSE: {"provider", "usage", "tool_calls"},
    E.CONTENT_BLOCK_START: {"block_type", "block_index", "total_blocks"},
    E.CONTENT_BLOCK_END: {"block_index", "total_blocks", "block", "usage"},
    E.TOOL_PRE: {"tool_name", "tool_input", "parallel_group_id"},
    E.TOOL_POST: {"tool_name", "tool_input", "result", "parallel_group_id"},
    E.PROMPT_COMPLETE: {"response_preview", "length"},
    E.ORCHESTRATOR_COMPLETE: {"orchestrator", "turn_count", "status"},
    E.CANCEL_REQUESTED: {"orchestrator", "state", "turn_count"},
    E.CANCEL_COMPLETED: {"orchestrator", "was_immediate", "turn_count"},
    E.PROVIDER_ERROR: {"provider", "error", "retryable", "status_code"},
}
# By design: the keys loop-notebook adds.
EXTRA_KEYS = {
    E.PROVIDER_REQUEST: {"model"},
    E.PROVIDER_RESPONSE: {"model", "latency_ms", "finish_reason"},
    E.TOOL_PRE: {"tool_call_id"},
    E.TOOL_POST: {"tool_call_id"},
}
# By design: documented keys whose values differ (compared on their own, below).
OWN_VALUES = {"orchestrator", "usage", "result", "parallel_group_id"}
# By design: events only loop-notebook emits.
NOTEBOOK_ONLY = {E.EXECUTION_START, E.EXECUTION_END, E.APPROVAL_GRANTED, E.APPROVAL_DENIED}


def orchestrator(loop: str, **config: Any) -> dict[str, Any]:
    if loop == NOTEBOOK:
        return {"module": NOTEBOOK, "config": config}
    return {"module": loop, "source": str(UPSTREAM_LIKE), "config": config}


def plan(loop: str, script: list[Any], **config: Any) -> dict[str, Any]:
    return {
        "session": {"orchestrator": orchestrator(loop, **config), "context": "context-notebook"},
        # stream: false: every content_block:* event comes from the loop.
        "providers": [
            {"module": "provider-scripted", "config": {"script": script, "stream": False}}
        ],
        "tools": [ECHO],
        "hooks": [],
    }


def echo(call_id: str, text: str) -> dict[str, Any]:
    return {"id": call_id, "name": "echo", "input": {"text": text}}


class Approvals:
    """An approval system that allows once, recording each prompt."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    async def request_approval(self, prompt: str, options: Any, timeout: Any, default: Any) -> str:
        self.prompts.append(prompt)
        return "Allow once"


class Run:
    """One loop's session, every event it emitted, and what its provider was sent."""

    def __init__(self, loop: str, session: Any, provider: AnthropicShaped) -> None:
        self.loop = loop
        self.session = session
        self.provider = provider
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def record(self, event: str, data: dict[str, Any]) -> HookResult:
        self.events.append((event, {k: v for k, v in data.items() if k not in KERNEL_KEYS}))
        return HookResult(action="continue")

    def on(self, event: str, handler: Any) -> None:
        self.session.coordinator.hooks.register(event, handler, name=f"test-{event}")

    async def execute(self, prompt: str) -> str:
        self.events.append((TURN, {}))
        return await within(self.session.execute(prompt), f"{self.loop} to answer {prompt!r}")

    async def context(self) -> list[dict[str, Any]]:
        return await self.session.coordinator.get("context").get_messages()

    def requests(self) -> list[list[dict[str, Any]]]:
        """Each request's messages, as the provider got them."""
        return [
            [m.model_dump(exclude_none=True) for m in r.messages]
            for r in self.provider._inner.requests
        ]

    def turn(self, index: int) -> Run:
        """The events of one ``execute()`` (the first is 0)."""
        starts = [i for i, (name, _) in enumerate(self.events) if name == TURN]
        ends = [*starts[1:], len(self.events)]
        view = Run(self.loop, self.session, self.provider)
        view.events = self.events[starts[index] + 1 : ends[index]]
        return view

    def names(self) -> list[str]:
        return [name for name, _ in self.events if name != TURN and not name.startswith("session:")]

    def of(self, event: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == event]


@asynccontextmanager
async def started(loop: str, script: list[Any], **config: Any) -> AsyncIterator[Run]:
    session = AmplifierSession(config=plan(loop, script, **config), approval_system=Approvals())
    # Local-directory sources are found by the package's loader (docs/design.md, fact 2).
    session.coordinator.loader = NotebookModuleLoader(coordinator=session.coordinator)
    recorder: list[Run] = []

    async def record(event: str, data: dict[str, Any]) -> HookResult:
        return await recorder[0].record(event, data)

    for event in E.ALL_EVENTS:
        # First of all handlers, so it sees what the hooks are handed before any changes it.
        session.coordinator.hooks.register(event, record, priority=-1000, name="recorder")
    await session.initialize()
    providers = session.coordinator.get("providers")
    provider = AnthropicShaped(providers["scripted"])
    await session.coordinator.mount("providers", provider, name="scripted")
    recorder.append(Run(loop, session, provider))
    try:
        yield recorder[0]
    finally:
        await session.cleanup()
        await asyncio.sleep(CLEANUP_DRAIN)


# -- comparing two runs -------------------------------------------------------------------


def without_none(value: Any) -> Any:
    """``value`` with ``None`` entries of dicts left out (loop-notebook stores blocks so)."""
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value


def as_loop_basic_stores(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages without what loop-notebook adds by design: a tool result's ``name``."""
    out = []
    for message in without_none(messages):
        if message.get("role") == "tool":
            message = {k: v for k, v in message.items() if k != "name"}
        out.append(message)
    return out


def shape(run: Run) -> list[str]:
    """The event names in order, with each stretch of tool events as one ``<tools>``,
    loop-notebook's own events left out."""
    out: list[str] = []
    for name in run.names():
        if name in NOTEBOOK_ONLY:
            continue
        if name.startswith("tool:"):
            if not out or out[-1] != "<tools>":
                out.append("<tools>")
            continue
        out.append(name)
    return out


def tool_events(run: Run) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each tool call's events (by its input's text), in order."""
    calls: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, data in run.events:
        if name.startswith("tool:"):
            calls.setdefault(data["tool_input"]["text"], []).append((name, data))
    return calls


def documented(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in DOCUMENTED[event] and k not in OWN_VALUES}


def check_keys(notebook: Run, basic: Run) -> None:
    """loop-basic's payloads carry the documented keys; loop-notebook's those and its extras."""
    for run, extra in ((basic, {}), (notebook, EXTRA_KEYS)):
        for name, data in run.events:
            keys = DOCUMENTED.get(name)
            if keys is None or name == E.CANCEL_COMPLETED and "orchestrator" not in data:
                continue  # amplifier-core's own cancel:completed {was_immediate}
            if name == E.PROVIDER_ERROR:
                # (request_id: amplifier-core's correlation id, when a call is in flight)
                given = set(data) - {"request_id"}
                assert keys >= given >= {"provider", "error"}, (run.loop, name, data)
                continue
            expected = keys | extra.get(name, set())
            if name == E.CONTENT_BLOCK_END and "usage" not in data:
                expected = expected - {"usage"}
            assert set(data) == expected, (run.loop, name, data)


def check_same_events(notebook: Run, basic: Run) -> None:
    """The same events in the same places, with the same documented values."""
    assert shape(notebook) == shape(basic)
    check_keys(notebook, basic)
    for event in DOCUMENTED:
        if event.startswith("tool:"):
            continue
        assert [documented(event, d) for d in notebook.of(event)] == [
            documented(event, d) for d in basic.of(event)
        ], event
        for data in notebook.of(event):
            if "orchestrator" in data:
                assert data["orchestrator"] == "loop-notebook"
        for data in basic.of(event):
            if "orchestrator" in data:
                assert data["orchestrator"] == "loop-basic"
    # Tool events: the same per call (their order differs by design: see below).
    ours, theirs = tool_events(notebook), tool_events(basic)
    assert ours.keys() == theirs.keys()
    for text in ours:
        assert [(n, documented(n, d)) for n, d in ours[text]] == [
            (n, documented(n, d)) for n, d in theirs[text]
        ], text
    # One parallel_group_id per response, in both.
    assert group_partition(notebook) == group_partition(basic)
    # usage: a dict here; loop-basic's Usage object reaches hooks as its str() (fact 23).
    for ours_usage, theirs_usage in zip(
        (d["usage"] for d in notebook.of(E.PROVIDER_RESPONSE)),
        (d["usage"] for d in basic.of(E.PROVIDER_RESPONSE)),
        strict=True,
    ):
        assert isinstance(ours_usage, dict) and isinstance(theirs_usage, str)
        # (input tokens may differ: provider-scripted counts the tool results' names too)
        assert theirs_usage.startswith("input_tokens=")
        assert f" output_tokens={ours_usage['output_tokens']} " in theirs_usage
    # tool:post's result: the ToolResult as a dict here; its str() (the output) there.
    for text in ours:
        for (name, data), (_, their_data) in zip(ours[text], theirs[text], strict=True):
            if name == E.TOOL_POST:
                assert data["result"] == {"success": True, "output": their_data["result"]}


def group_partition(run: Run) -> list[list[str]]:
    """Which calls shared a ``parallel_group_id``, in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for data in run.of(E.TOOL_PRE):
        members = groups.setdefault(data["parallel_group_id"], [])
        members.append(data["tool_input"]["text"])
    return sorted(sorted(members) for members in groups.values())


def sequential(run: Run) -> bool:
    """Whether each tool call's events all came before the next call's."""
    order = [d["tool_input"]["text"] for n, d in run.events if n.startswith("tool:")]
    seen: list[str] = []
    for text in order:
        if seen and seen[-1] != text and text in seen:
            return False
        if not seen or seen[-1] != text:
            seen.append(text)
    return True


def texts(request: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    return [(m["role"], m["content"]) for m in request]


# -- the plans ----------------------------------------------------------------------------

SCRIPT = [
    {"text": "Looking.", "tool_calls": [echo("t1", "a"), echo("t2", "b"), echo("t3", "c")]},
    {"tool_calls": [echo("t4", "d")]},
    {"thinking": "That is all.", "text": "All done."},
]


def add_hooks(run: Run) -> None:
    """The hooks of issue 15's conformance test: a tool:pre deny and ask_user, a tool:post
    modify, ephemeral injections on provider:request and on tool:post, a prompt:submit deny."""

    async def on_submit(event: str, data: dict[str, Any]) -> HookResult:
        if data["prompt"] == "forbidden":
            return HookResult(action="deny", reason="not now")
        return HookResult(action="continue")

    async def on_request(event: str, data: dict[str, Any]) -> HookResult:
        if data["iteration"] == 0:
            return HookResult(
                action="inject_context", context_injection="first request only", ephemeral=True
            )
        return HookResult(action="continue")

    async def on_pre(event: str, data: dict[str, Any]) -> HookResult:
        text = data["tool_input"]["text"]
        if text == "c":
            return HookResult(action="deny", reason="not c")
        if text == "b":
            return HookResult(
                action="ask_user",
                approval_prompt="Run echo b?",
                approval_options=["Allow once", "Deny"],
            )
        return HookResult(action="continue")

    async def on_post(event: str, data: dict[str, Any]) -> HookResult:
        text = data["tool_input"]["text"]
        if text == "a":
            return HookResult(action="modify", data={**data, "result": {"replaced": ["a"]}})
        if text == "b":
            return HookResult(action="inject_context", context_injection="after b", ephemeral=True)
        if text == "d":
            return HookResult(
                action="inject_context",
                context_injection="note on d",
                ephemeral=True,
                append_to_last_tool_result=True,
            )
        return HookResult(action="continue")

    run.on(E.PROMPT_SUBMIT, on_submit)
    run.on(E.PROVIDER_REQUEST, on_request)
    run.on(E.TOOL_PRE, on_pre)
    run.on(E.TOOL_POST, on_post)


CONFIG = {"extended_thinking": True, "reasoning_effort": "low"}


async def test_a_turn_with_hooks_and_tools_is_loop_basics() -> None:
    runs: dict[str, Run] = {}
    answers: dict[str, list[str]] = {}
    contexts: dict[str, list[dict[str, Any]]] = {}
    for loop in (NOTEBOOK, BASIC):
        async with started(loop, SCRIPT, **CONFIG) as run:
            add_hooks(run)
            answers[loop] = [await run.execute("go"), await run.execute("forbidden")]
            contexts[loop] = await run.context()
            runs[loop] = run
    notebook, basic = runs[NOTEBOOK], runs[BASIC]

    assert answers[NOTEBOOK] == answers[BASIC] == ["All done.", "Operation denied: not now"]
    # What the provider got, request by request; and how it was asked.
    ours = [as_loop_basic_stores(r) for r in notebook.requests()]
    assert ours == [as_loop_basic_stores(r) for r in basic.requests()]
    assert notebook.provider.kwargs == basic.provider.kwargs == [{"extended_thinking": True}] * 3
    assert [r.reasoning_effort for r in notebook.provider._inner.requests] == ["low"] * 3
    first, second, third = (texts(r) for r in ours)
    assert first[-1] == ("system", "first request only")
    tool_results = [content for role, content in second if role == "tool"]
    assert tool_results == [json.dumps({"replaced": ["a"]}), "echo: b", "Denied by hook: not c"]
    assert second[-1] == ("system", "after b")
    assert ("system", "first request only") not in second
    assert third[-1] == ("tool", "echo: d\n\nnote on d")
    assert ("system", "after b") not in third
    # The conversation at the end: the same, and no injection was stored.
    assert as_loop_basic_stores(contexts[NOTEBOOK]) == as_loop_basic_stores(contexts[BASIC])
    assert [m.get("name") for m in contexts[NOTEBOOK] if m["role"] == "tool"] == ["echo"] * 4
    stored = json.dumps(contexts[NOTEBOOK])
    assert "first request only" not in stored and "after b" not in stored
    assert "note on d" not in stored

    check_same_events(notebook.turn(0), basic.turn(0))
    assert [d["status"] for d in notebook.of(E.ORCHESTRATOR_COMPLETE)] == ["success", "incomplete"]
    assert [d["status"] for d in basic.of(E.ORCHESTRATOR_COMPLETE)] == ["success"]
    assert [d["turn_count"] for d in basic.of(E.ORCHESTRATOR_COMPLETE)] == [2]
    assert [d["tool_calls"] for d in basic.of(E.PROVIDER_RESPONSE)] == [True, True, False]
    assert [d["block_type"] for d in basic.of(E.CONTENT_BLOCK_START)] == [
        "text",
        *["tool_call"] * 4,
        "thinking",
        "text",
    ]
    # By design: execution:start/end around each turn, orchestrator:complete after the
    # deny; the tool calls one after the other; how the hook's question was decided.
    assert notebook.turn(0).names()[0] == E.EXECUTION_START
    assert notebook.turn(0).names()[-1] == E.EXECUTION_END
    assert notebook.turn(1).names() == [
        E.EXECUTION_START,
        E.PROMPT_SUBMIT,
        E.ORCHESTRATOR_COMPLETE,
        E.EXECUTION_END,
    ]
    assert basic.turn(1).names() == [E.PROMPT_SUBMIT]
    assert documented(E.PROMPT_SUBMIT, notebook.turn(1).of(E.PROMPT_SUBMIT)[0]) == {
        "prompt": "forbidden"
    }
    assert sequential(notebook)
    assert notebook.of(E.APPROVAL_GRANTED) == [
        {
            "tool_name": "echo",
            "decision": "allow",
            "reason": None,
            "prompt": "Run echo b?",
            "source": "hook",
        }
    ]
    assert not basic.of(E.APPROVAL_GRANTED)


def stopper(coordinator: Any) -> Any:
    """A hook that asks for a graceful cancel (as Stop does) and lets the event go on."""

    async def stop(event: str, data: dict[str, Any]) -> HookResult:
        await coordinator.request_cancel()
        return HookResult(action="continue")

    return stop


async def test_a_graceful_stop_between_model_calls_is_loop_basics() -> None:
    """A graceful cancel asked for while a tool runs: both stop at the next model call's
    start with the cancel events and status cancelled; loop-notebook, by design, also
    closes the turn with an assistant note."""
    script = [{"text": "One.", "tool_calls": [echo("t1", "a")]}, "Never."]
    runs: dict[str, Run] = {}
    contexts: dict[str, list[dict[str, Any]]] = {}
    for loop in (NOTEBOOK, BASIC):
        async with started(loop, script) as run:
            run.on(E.TOOL_POST, stopper(run.session.coordinator))
            assert await run.execute("go") == ""
            contexts[loop] = await run.context()
            assert run.provider._inner.calls == 1
            runs[loop] = run
    notebook, basic = runs[NOTEBOOK], runs[BASIC]
    check_same_events(notebook, basic)
    tail = [E.CANCEL_REQUESTED, E.CANCEL_COMPLETED, E.ORCHESTRATOR_COMPLETE]
    assert shape(basic)[-4:] == [*tail, E.CANCEL_COMPLETED]  # amplifier-core's own, last
    assert [d["status"] for d in notebook.of(E.ORCHESTRATOR_COMPLETE)] == ["cancelled"]
    assert notebook.of(E.CANCEL_REQUESTED) == [
        {"orchestrator": "loop-notebook", "state": "graceful", "turn_count": 1}
    ]
    theirs = as_loop_basic_stores(contexts[BASIC])
    assert [m["role"] for m in theirs] == ["user", "assistant", "tool"]
    assert as_loop_basic_stores(contexts[NOTEBOOK]) == [
        *theirs,
        {"role": "assistant", "content": "(stopped by the user)"},
    ]


async def test_a_failed_model_call_is_loop_basics() -> None:
    """The provider fails on the second call: both emit provider:error and raise;
    loop-notebook, by design, also ends the turn (orchestrator:complete, status error)
    and closes the conversation."""
    script = [{"text": "One.", "tool_calls": [echo("t1", "a")]}]
    runs: dict[str, Run] = {}
    contexts: dict[str, list[dict[str, Any]]] = {}
    for loop in (NOTEBOOK, BASIC):
        async with started(loop, script) as run:
            run.provider._inner.when_exhausted = "error"
            with pytest.raises(Exception, match="all are used"):
                await run.execute("go")
            contexts[loop] = await run.context()
            runs[loop] = run
    notebook, basic = runs[NOTEBOOK], runs[BASIC]
    assert shape(basic)[-1] == E.PROVIDER_ERROR
    assert shape(notebook) == [*shape(basic), E.ORCHESTRATOR_COMPLETE]
    (theirs_error,) = basic.of(E.PROVIDER_ERROR)
    (ours_error,) = notebook.of(E.PROVIDER_ERROR)
    # amplifier-core's correlation id: the failed call's llm:request's, in both.
    for run, error in ((notebook, ours_error), (basic, theirs_error)):
        assert error["request_id"] == run.of(E.LLM_REQUEST)[-1]["request_id"]
    assert documented(E.PROVIDER_ERROR, ours_error) == documented(E.PROVIDER_ERROR, theirs_error)
    assert theirs_error["error"]["type"] == "ScriptError"
    assert notebook.of(E.ORCHESTRATOR_COMPLETE) == [
        {"orchestrator": "loop-notebook", "turn_count": 1, "status": "error"}
    ]
    check_keys(notebook, basic)
    theirs = as_loop_basic_stores(contexts[BASIC])
    assert [m["role"] for m in theirs] == ["user", "assistant", "tool"]
    ours = as_loop_basic_stores(contexts[NOTEBOOK])
    assert ours[:3] == theirs
    assert ours[3]["role"] == "assistant" and ours[3]["content"].startswith("(the turn failed:")
