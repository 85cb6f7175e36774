"""The panel's pure parts: the timeline from events, coalescing, the approval request's life."""

from __future__ import annotations

import asyncio

import pytest
from amplifier_core.approval import ApprovalTimeoutError

from amplifier_jupyter.modules._tool_input import tool_input_text
from amplifier_jupyter.ui.approval import JupyterApprovalSystem
from amplifier_jupyter.ui.approval_card import _input_text as card_input_text
from amplifier_jupyter.ui.approval_request import ApprovalRequest
from amplifier_jupyter.ui.coalesce import Coalescer
from amplifier_jupyter.ui.text import match_option
from amplifier_jupyter.ui.timeline import Timeline, describe_tool_input


def test_timeline_pairs_calls_with_their_results_and_sums_the_run() -> None:
    t = Timeline()
    t.on_event("prompt:submit", {"prompt": "Plot   the\ndata"})
    t.on_event("provider:request", {"provider": "claude", "model": "claude-x"})
    t.on_event(
        "provider:response",
        {
            "model": "claude-x",
            "latency_ms": 1234,
            "tool_calls": 1,
            "usage": {"input_tokens": 1200, "output_tokens": 30, "cost_usd": "0.0042"},
        },
    )
    t.on_event(
        "tool:pre", {"tool_name": "python", "tool_call_id": "t1", "tool_input": {"code": "1+1"}}
    )
    t.on_event(
        "tool:post",
        {"tool_name": "python", "tool_call_id": "t1", "result": {"success": True, "output": "2"}},
    )
    t.on_event(
        "approval:denied", {"tool_name": "rm", "reason": "no answer within 2s: deny applied"}
    )
    t.on_event("provider:error", {"error": "overloaded", "error_type": "RateLimitError"})
    t.on_event("session:fork", {"child": "helper"})
    t.on_event("content_block:delta", {"delta": "ignored"})
    assert [(e.kind, e.text) for e in t.entries] == [
        ("prompt", "Plot the data"),
        ("model", "claude-x · 1.2 s · 1,200 in · 30 out · $0.0042 · 1 tool call"),
        ("tool", "python"),
        ("denied", "rm: no answer within 2s: deny applied"),
        ("error", "RateLimitError: overloaded"),
        ("fork", "child session helper"),
    ]
    assert (t.entries[2].detail, t.entries[2].result) == ("1+1", "2")
    assert t.describe_totals() == "1 model call · 1,200 in · 30 out · $0.0042"


def test_loop_basics_payloads_read_as_well() -> None:
    """loop-basic and loop-notebook send ``tool_calls`` as a bool and ``provider:error``'s
    ``error`` as ``{type, msg}`` (issue 15); the status words are theirs."""
    t = Timeline()
    t.on_event("provider:request", {"provider": "scripted", "iteration": 0})
    usage = {"input_tokens": 10, "output_tokens": 2}
    t.on_event("provider:response", {"provider": "scripted", "usage": usage, "tool_calls": True})
    t.on_event("provider:request", {"provider": "scripted", "iteration": 1})
    t.on_event("provider:response", {"provider": "scripted", "usage": usage, "tool_calls": False})
    t.on_event("provider:error", {"provider": "scripted", "error": {"type": "X", "msg": "gone"}})
    t.on_event("orchestrator:complete", {"status": "error"})
    assert [e.text for e in t.entries] == [
        "scripted · 10 in · 2 out · tool calls",
        "scripted · 10 in · 2 out",
        "X: gone",
    ]
    assert t.status == "error"


def test_a_child_sessions_events_are_marked_and_not_counted_as_the_runs() -> None:
    t = Timeline()
    t.on_event("provider:request", {"model": "m", "child": "helper"})
    t.on_event("provider:response", {"model": "m", "usage": {"input_tokens": 5}, "child": "helper"})
    t.on_event("orchestrator:complete", {"status": "success", "child": "helper"})
    assert t.entries[0].child == "helper" and t.model_calls == 0 and t.status is None


def test_a_stop_closes_what_was_still_running() -> None:
    t = Timeline()
    t.on_event("tool:pre", {"tool_name": "nap", "tool_call_id": "t1", "tool_input": {}})
    t.on_event("orchestrator:complete", {"status": "cancelled"})
    assert [(e.text, e.result) for e in t.entries] == [("nap", "not finished"), ("stopped", "")]
    assert t.status == "cancelled"


async def test_coalescing_folds_a_burst_into_one_push_and_keeps_the_last() -> None:
    pushed: list[int] = []
    value = 0

    def push() -> None:
        pushed.append(value)

    c = Coalescer(push, interval=0.05)
    for value in range(1, 1001):  # noqa: B007 - push() reads the latest value
        c.changed()
    # The first change goes out at once, the other 999 wait for one later push.
    assert pushed == [1]
    await asyncio.sleep(0.1)
    assert pushed == [1, 1000]
    c.changed()
    c.flush()
    assert pushed[-1] == 1000 and c.pushes == 3
    c.flush()  # nothing pending: nothing sent
    assert c.pushes == 3


class AnsweringHost:
    """Shows nothing; answers each question with a fixed option."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.shown: list[ApprovalRequest] = []

    def show_approval(self, request: ApprovalRequest) -> None:
        self.shown.append(request)
        if self.answer is not None:
            request.choose(self.answer)


async def test_the_loops_question_carries_the_tool_announced_just_before() -> None:
    approvals = JupyterApprovalSystem()
    approvals.host = AnsweringHost("Allow once")
    approvals.on_event("approval:required", {"tool_name": "python", "tool_input": {"code": "x"}})
    choice = await approvals.request_approval(
        "Allow?", ["Allow once", "Allow always", "Deny"], 5, "deny"
    )
    request = approvals.host.shown[0]
    assert choice == "Allow once" and request.tool_name == "python" and request.from_loop
    assert request.outcome == "Allow once" and not approvals.pending
    # A hook's own question (its own options) does not take the tool of an earlier one.
    approvals.host.answer = "Yes"
    assert await approvals.request_approval("Proceed?", ["Yes", "No"], 5, "deny") == "Yes"
    assert approvals.host.shown[1].tool_name is None


async def test_no_answer_times_out_and_a_stop_closes_the_question() -> None:
    approvals = JupyterApprovalSystem()
    approvals.host = AnsweringHost(None)
    with pytest.raises(ApprovalTimeoutError):
        await approvals.request_approval("Run?", ["Yes", "No"], 0.05, "deny")
    timed_out = approvals.host.shown[0]
    assert timed_out.outcome == "timeout"
    assert timed_out.describe_outcome() == "no answer within 0.05 s: deny applied"

    task = asyncio.ensure_future(approvals.request_approval("Run?", ["Yes", "No"], 30, "deny"))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert approvals.host.shown[1].outcome == "stopped"


async def test_a_stop_answers_a_hooks_question_with_deny() -> None:
    approvals = JupyterApprovalSystem()
    approvals.host = AnsweringHost(None)
    task = asyncio.ensure_future(approvals.request_approval("Run?", ["Yes", "No"], 30, "deny"))
    await asyncio.sleep(0.01)
    approvals.deny_pending()
    assert await task == "deny"
    assert approvals.host.shown[0].outcome == "stopped"


def test_a_typed_answer_is_a_number_a_name_or_a_unique_prefix() -> None:
    options = ["Allow once", "Allow always", "Deny"]
    assert match_option("1", options) == "Allow once"
    assert match_option(" deny\n", options) == "Deny"
    assert match_option("allow a", options) == "Allow always"
    assert match_option("allow", options) is None  # two options start so
    assert match_option("7", options) is None


def test_cached_input_counts_as_input_in_the_timeline() -> None:
    t = Timeline()
    t.on_event("provider:request", {"model": "claude-x"})
    usage = {"input_tokens": 3, "cache_read_tokens": 900, "cache_write_tokens": 100}
    t.on_event("provider:response", {"model": "claude-x", "usage": {**usage, "output_tokens": 5}})
    assert "1,003 in · 5 out" in t.entries[-1].text
    # No provider priced it: never a false $0.
    assert t.describe_totals() == "1 model call · 1,003 in · 5 out · cost unknown"


def test_the_card_and_the_timeline_show_a_tool_input_as_the_question_does() -> None:
    code = {"code": "for i in range(3):\n    print(i)"}
    other = {"path": "a.txt", "text": "é"}
    assert tool_input_text(code) == code["code"]
    assert tool_input_text(other) == '{"path": "a.txt", "text": "é"}'
    # Each cuts it to its own length: the card in full lines, the timeline in one line.
    assert card_input_text(code) == code["code"]
    assert card_input_text(other) == '{\n  "path": "a.txt",\n  "text": "é"\n}'
    assert describe_tool_input(code) == "for i in range(3): print(i)"
    assert describe_tool_input(other) == '{"path": "a.txt", "text": "é"}'
    long = {"code": "x" * 5000}
    assert card_input_text(long) == "x" * 4000 + "\n…"
    assert describe_tool_input(long) == "x" * 119 + "…"
    # A "code" that is not a string is no code: all show the JSON the model sent.
    assert tool_input_text({"code": 5}) == '{"code": 5}' == describe_tool_input({"code": 5})
    # What JSON cannot hold shows as Python would print it, in place of an error.
    looped: dict = {}
    looped["self"] = looped
    assert card_input_text(looped) == "{'self': {...}}"


class Clock:
    """A clock the test moves by hand (the timeline reads it for how long a wait has lasted)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_waiting_says_how_long_nothing_has_come_and_the_retry_it_is_on() -> None:
    clock = Clock()
    t = Timeline(clock=clock)
    assert t.waiting() is None  # no call open
    t.on_event("provider:request", {"model": "claude-x"})
    t.on_event("llm:request", {"model": "claude-x"})  # the same call, from the provider
    clock.now += 1.5
    assert t.waiting() is None  # too short to be worth a word
    clock.now += 18.9
    assert t.waiting() == "waiting for the model · 20 s"
    retry = {"attempt": 1, "max_retries": 3, "reason": "529", "delay": 1.0}
    assert t.on_event("provider:retry", {**retry, "error": "529 overloaded_error: Overloaded"})
    assert t.entries[-1].text == "retry 1 of 3 (529) in 1.0 s"
    assert t.waiting() == "waiting for the model · 0 s · retry 1 of 3 after 529"
    clock.now += 20
    assert t.waiting() == "waiting for the model · 20 s · retry 1 of 3 after 529"
    # The answer streams in: nothing to wait for, and the retry is behind it ...
    assert not t.on_event("content_block:delta", {"delta": "Hel"})
    clock.now += 1
    assert t.waiting() is None
    # ... until the stream goes quiet.
    clock.now += 74
    assert t.waiting() == "waiting for the model · 1 min 15 s"
    t.on_event("llm:response", {"usage": {"input_tokens": 3, "output_tokens": 1}})
    assert t.waiting() is None


def test_waiting_ends_with_the_call_and_names_a_child_session() -> None:
    clock = Clock()
    t = Timeline(clock=clock)
    t.on_event("llm:request", {"model": "m"})  # a loop that sends no provider:request
    clock.now += 3
    assert t.waiting() == "waiting for the model · 3 s"
    t.on_event("tool:pre", {"tool_name": "python", "tool_call_id": "t1", "tool_input": {}})
    assert t.waiting() is None  # the model answered with a tool call
    t.on_event("provider:request", {"model": "m", "child": "helper"})
    t.on_event("provider:retry", {"attempt": 2, "reason": "45 s of silence", "child": "helper"})
    assert t.waiting() == "helper › waiting for the model · 0 s · retry 2 after 45 s of silence"
    t.on_event("provider:request", {"model": "m"})
    clock.now += 2
    assert t.waiting() == "waiting for the model · 2 s"  # the run's own call first
    t.on_event("provider:error", {"error": "gave up", "error_type": "LLMTimeoutError"})
    assert t.waiting() == "helper › waiting for the model · 2 s · retry 2 after 45 s of silence"
    t.on_event("orchestrator:complete", {"status": "completed"})
    assert t.waiting() is None
