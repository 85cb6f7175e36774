"""The host's one hook (``session/host_hook.py``): one handler of ours on every event, which
calls the transcript and then the observer, each isolated from the other's failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from amplifier_core.events import ALL_EVENTS

from amplifier_jupyter.session.host_hook import HOST_HOOK, HostHook
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.logs import LOG_COLLECTOR, QuietFaults
from amplifier_jupyter.session.plans import scripted_plan
from amplifier_jupyter.transcripts.writer import SETTINGS


async def test_parts_run_in_order_and_a_failing_one_does_not_stop_the_next() -> None:
    calls: list[str] = []
    faults = QuietFaults()
    host = HostHook(faults)

    def broken(event: str, data: dict[str, Any]) -> None:
        calls.append(f"broken {event}")
        raise ValueError("no disk")

    async def later(event: str) -> None:
        calls.append(f"awaited {event}")

    host.add("transcript", broken)
    host.add("awaiting", lambda event, data: later(event))
    host.add("observer", lambda event, data: calls.append(f"observer {event}"))
    before = len(LOG_COLLECTOR.records)
    for event in ("a", "b"):
        pending = host.run_parts(event, {})  # the awaiting part hands back its rest
        assert pending is not None
        assert await pending is None  # None: amplifier-core's continue
    assert calls == [
        "broken a",
        "awaited a",
        "observer a",
        "broken b",
        "awaited b",
        "observer b",
    ]
    # One quiet line a run, however often a part fails.
    assert LOG_COLLECTOR.records[before:] == ["transcript failed on a: no disk"]


async def test_a_session_has_one_hook_of_ours_on_every_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SETTINGS, "choice", True)  # transcripts on, outside a kernel too
    ks = KernelSession()
    await ks.set_plan(scripted_plan(["Four."]))
    seen: list[str] = []

    def broken(event: str, data: dict[str, Any]) -> None:
        raise RuntimeError("a broken view")

    ks.add_listener(broken)
    ks.add_listener(lambda event, data: seen.append(event))
    try:
        session = await ks.ensure_session()
        handlers = session.coordinator.hooks.list_handlers()
        for event in ALL_EVENTS:
            ours = [n for n in handlers.get(event, []) if n.startswith("notebook-")]
            ours = [n for n in ours if n != "notebook-approval"]
            assert ours == [HOST_HOOK], (event, handlers.get(event))
        assert await ks.execute("What is 2 + 2?") == "Four."
        # The observer (totals, listeners) and the transcript both saw the run.
        assert "content_block:delta" in seen and "orchestrator:complete" in seen
        assert ks.totals.requests == 1
        folder = tmp_path / ".amplifier" / "sessions" / session.session_id
        written = [json.loads(line)["event"] for line in (folder / "events.jsonl").open()]
        assert "content_block:end" in written and "orchestrator:complete" in written
        messages = (folder / "messages.jsonl").read_text().splitlines()
        assert [json.loads(m)["role"] for m in messages] == ["user", "assistant"]
    finally:
        await ks.shutdown()


async def test_the_parts_run_on_the_loops_thread_in_order_before_emit_returns() -> None:
    """amplifier-core calls the handler on a thread of its own; the parts still run on
    the loop's thread, in order, an awaiting part's later events behind it, and each
    event has been seen by the time the ``await emit()`` that sent it goes on."""
    import asyncio
    import threading

    from amplifier_core import AmplifierSession

    plan = scripted_plan(["Four."])
    plan["tools"] = []
    session = AmplifierSession(config=plan)
    host = HostHook(QuietFaults())
    seen: list[tuple[str, str]] = []
    threads: set[int] = set()

    async def slowly(event: str) -> None:
        await asyncio.sleep(0)
        seen.append(("awaited", event))

    def first(event: str, data: dict[str, Any]) -> Any:
        threads.add(threading.get_ident())
        seen.append(("first", event))
        return slowly(event) if event == "provider:request" else None

    host.add("first", first)
    host.add("second", lambda event, data: seen.append(("second", event)))
    host.register(session.coordinator)
    await session.initialize()
    try:
        assert await session.execute("What is 2 + 2?") == "Four."
        for i in range(20):
            await session.coordinator.hooks.emit("tool:pre", {"i": i})
            assert seen[-1] == ("second", "tool:pre")
    finally:
        await session.cleanup()
    assert threads == {threading.get_ident()}
    events = [event for kind, event in seen if kind == "first"]
    assert "provider:request" in events and "execution:end" in events
    request = events.index("provider:request")
    at = seen.index(("first", "provider:request"))
    assert seen[at : at + 3] == [
        ("first", "provider:request"),
        ("awaited", "provider:request"),
        ("second", "provider:request"),
    ]
    assert [event for kind, event in seen if kind == "second"] == events
    assert request < events.index("execution:end")
