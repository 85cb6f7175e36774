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
        result = host.dispatch(event, {})
        if not hasattr(result, "action"):
            result = await result
        assert result.action == "continue"
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
