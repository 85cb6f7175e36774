"""The built-in modules' short way for events (``modules/_emit.py``): amplifier-core's own
``emit`` when any hook but the host's listens, the host's direct handlers called with
what amplifier-core would have given them otherwise, nothing at all without a listener."""

from __future__ import annotations

import asyncio
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from amplifier_core import HookResult
from amplifier_core._engine import RustHookRegistry
from pydantic import BaseModel

from amplifier_jupyter.modules import _emit
from amplifier_jupyter.modules._emit import DirectHandlers, emit
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.plans import scripted_plan
from amplifier_jupyter.transcripts.writer import SETTINGS

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class _Usage(BaseModel):
    input_tokens: int = 11
    output_tokens: int = 7


class _Coordinator:
    """What DirectHandlers reads of a coordinator."""

    session_id = "s-1"
    parent_id = None


def _seen_by(hooks: RustHookRegistry, event: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    hooks.register(event, lambda e, d: seen.append(d), name="probe")
    return seen


async def test_a_direct_handler_gets_what_amplifier_core_gives_a_python_handler() -> None:
    hooks = RustHookRegistry()
    hooks.set_default_fields(session_id="s-1", parent_id=None)
    seen = _seen_by(hooks, "tool:post")
    direct = DirectHandlers(_Coordinator())
    payloads: list[dict[str, Any]] = [
        {"b": 1, "a": {"d": (1, 2), "c": [{"z": 1, "y": Decimal("0.0001")}]}},
        {"usage": _Usage(), "nested": {"model": _Usage()}, "none": None, "f": 1e-7},
        {"session_id": "mine", "timestamp": "old", "text": "é ü ✓", "big": 2**70, "neg": -3},
        {10: "ten", 9: "nine", "b": 2},  # keys made strings, then sorted
        {"edges": [-(2**63), -(2**63) - 1, 2**63, 2**64 - 1, 2**64], "id": "1234567890123456789"},
        {"list": [[{"b": 1, "a": 2}], "x", 1.5, None, True]},
        {},
    ]
    for payload in payloads:
        await hooks.emit("tool:post", payload)
        given = direct.data("tool:post", payload)
        assert given is not None
        full = seen[-1]
        assert list(given) == list(full)  # the same keys in the same (sorted) order
        assert given.pop("timestamp") and full.pop("timestamp")
        assert json.dumps(given) == json.dumps(full)
    # What amplifier-core's JSON refuses or reads otherwise is left to amplifier-core.
    assert direct.data("tool:post", {"x": float("nan")}) is None
    assert direct.data("tool:post", {"x": "\ud800"}) is None


def test_the_timestamp_is_written_as_amplifier_core_writes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for ns, fraction in [
        (1_790_000_000_123_456_789, ".123456789"),
        (1_790_000_000_123_456_000, ".123456"),
        (1_790_000_000_120_000_000, ".120"),
        (1_790_000_000_000_000_000, ""),
    ]:
        monkeypatch.setattr(_emit.time, "time_ns", lambda ns=ns: ns)
        assert _emit.timestamp() == f"2026-09-21T14:13:20{fraction}+00:00"


async def test_the_request_id_is_correlated_as_amplifier_core_does_with_nobody_listening() -> None:
    """llm:request has no listener (nothing is sent); its id still reaches the next
    llm:response, which amplifier-core's emit stamps."""
    hooks = RustHookRegistry()
    responses = _seen_by(hooks, "llm:response")

    async def call() -> tuple[Any, Any]:
        request = await emit(None, "llm:request", {"provider": "p"}, hooks)
        await emit(None, "llm:response", {"provider": "p"}, hooks)
        return request, responses[-1]

    request, response = await asyncio.create_task(call())
    assert UUID.match(request.data["request_id"])
    assert response["request_id"] == request.data["request_id"]
    # An explicit id wins, as in amplifier-core.
    explicit = await emit(None, "provider:error", {"request_id": "mine"}, hooks)
    assert explicit.data["request_id"] == "mine"


async def test_without_a_listener_nothing_is_sent() -> None:
    class Hooks:
        def list_handlers(self, event: str | None = None) -> dict[str, list[str]]:
            return {event or "": []}

        async def emit(self, event: str, data: dict[str, Any]) -> Any:
            raise AssertionError(f"{event} was sent")

    data = {"prompt": "hi"}
    result = await emit(None, "prompt:submit", data, Hooks())
    assert isinstance(result, HookResult) and result.action == "continue"
    assert result.data == data and result.data is not data


# -- in a session ----------------------------------------------------------------------


def _normalized(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Events with what differs between two runs (times, ids) replaced by placeholders."""
    names: dict[str, str] = {}
    varying = ("timestamp", "latency_ms", "session_id", "request_id", "parallel_group_id")

    def place(value: Any) -> Any:
        return names.setdefault(str(value), f"<{len(names)}>")

    return [
        (event, {k: place(v) if k in varying else v for k, v in data.items()})
        for event, data in events
    ]


async def _one_turn(
    tmp_path: Path, *, full: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]], int]:
    """One turn of the default plan, offline: what the panel's listener saw, what the
    transcript wrote and how often the short way gave the host an event."""
    calls = 0
    data = DirectHandlers.data

    def counted(self: DirectHandlers, event: str, given: dict[str, Any]) -> Any:
        nonlocal calls
        calls += 1
        return None if full else data(self, event, given)  # None: amplifier-core's emit

    monkeypatch.setattr(DirectHandlers, "data", counted)
    ks = KernelSession()
    await ks.set_plan(scripted_plan(["Four."]))
    seen: list[tuple[str, dict[str, Any]]] = []
    ks.add_listener(lambda event, data: seen.append((event, data)))
    try:
        session = await ks.ensure_session()
        assert await ks.execute("What is 2 + 2?") == "Four."
        folder = tmp_path / ".amplifier" / "sessions" / session.session_id
        written = [json.loads(line) for line in (folder / "events.jsonl").open()]
    finally:
        await ks.shutdown()
    return seen, written, calls


async def test_with_only_the_hosts_handlers_the_panel_and_transcript_see_the_same_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SETTINGS, "choice", True)
    short_seen, short_written, short_calls = await _one_turn(
        tmp_path, full=False, monkeypatch=monkeypatch
    )
    full_seen, full_written, _ = await _one_turn(tmp_path, full=True, monkeypatch=monkeypatch)
    # The turn's events went the short way, the session's own (session:start) did not.
    assert short_calls >= 8
    turn = [event for event, _ in short_seen]
    assert "execution:start" in turn and "llm:request" in turn and "content_block:delta" in turn
    assert _normalized(short_seen) == _normalized(full_seen)
    for seen in (short_seen, full_seen):
        for _, data in seen:
            assert list(data) == sorted(data)
    assert UUID.match(dict(short_seen)["llm:request"]["request_id"])
    assert (
        dict(short_seen)["llm:response"]["request_id"]
        == dict(short_seen)["llm:request"]["request_id"]
    )

    def lines(written: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        return _normalized([(w["event"], w["data"]) for w in written])

    assert [w["event"] for w in short_written] == [w["event"] for w in full_written]
    assert lines(short_written) == lines(full_written)


async def test_with_a_plan_hook_amplifier_cores_emit_is_taken_and_the_hook_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SETTINGS, "choice", False)
    ks = KernelSession()
    await ks.set_plan(scripted_plan(["Four."]))
    seen: list[str] = []
    ks.add_listener(lambda event, data: seen.append(event))
    short: list[str] = []
    data = DirectHandlers.data

    def counted(self: DirectHandlers, event: str, given: dict[str, Any]) -> Any:
        short.append(event)
        return data(self, event, given)

    monkeypatch.setattr(DirectHandlers, "data", counted)
    user: list[tuple[str, dict[str, Any]]] = []

    def user_hook(event: str, data: dict[str, Any]) -> Any:
        user.append((event, data))
        if event == "provider:request":
            return HookResult(action="deny", reason="not today")
        return None

    try:
        session = await ks.ensure_session()
        for event in ("prompt:submit", "provider:request"):
            session.coordinator.hooks.register(event, user_hook, name="a-users-hook")
        answer = await ks.execute("What is 2 + 2?")
    finally:
        await ks.shutdown()
    assert answer == "Operation denied: not today"
    assert [event for event, _ in user] == ["prompt:submit", "provider:request"]
    assert user[0][1]["prompt"] == "What is 2 + 2?"
    assert user[0][1]["session_id"] == session.session_id
    # The hook's events went through amplifier-core; the others the short way.
    assert "prompt:submit" not in short and "provider:request" not in short
    assert "execution:start" in short and "execution:start" in seen
    assert "prompt:submit" in seen  # the host still saw it, after the plan's hook


async def test_stop_sets_the_token_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run looks at the token between events, which no longer wait on amplifier-core's
    runtime: Stop sets it before its ``request_cancel`` goes there and back."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SETTINGS, "choice", False)
    ks = KernelSession()
    await ks.set_plan(scripted_plan(["Four."]))
    try:
        session = await ks.ensure_session()
        token = session.coordinator.cancellation
        stop = asyncio.ensure_future(ks.stop())
        await asyncio.sleep(0)
        assert token.is_cancelled
        await stop
    finally:
        await ks.shutdown()
