"""%amplifier resume: a saved session back with its conversation, also after a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_harness import Kernel, offline_env, ok, scripted_plan_json

SETUP = (
    "%load_ext amplifier_jupyter\n"
    "from amplifier_jupyter import get_kernel_session\n"
    "ks = get_kernel_session()\n"
    "seen = []\n"
    "ks.listeners.append(lambda e, d: seen.append(e))\n"
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """A folder where a first kernel ran two turns and a child, then shut down."""
    folder = tmp_path_factory.mktemp("notebook")
    with Kernel(env=offline_env(), cwd=str(folder)) as first:
        ok(first, SETUP + f"%amplifier config {scripted_plan_json('One.', 'Two.')}")
        assert ok(first, "%%amplifier\nfirst question").markdown == ["One."]
        assert ok(first, "%%amplifier\nsecond question").markdown == ["Two."]
        assert ok(first, "%%amplifier --child notes\njot this").markdown == ["One."]
        ids = ok(first, "print(ks.session.session_id, ks.children['notes'].session_id)")
        session_id, child_id = ids.stdout.split()
    yield folder, session_id, child_id


@pytest.fixture(scope="module")
def second(saved) -> Iterator[Kernel]:
    folder, _, _ = saved
    with Kernel(env=offline_env(), cwd=str(folder)) as kernel:
        ok(kernel, SETUP)
        yield kernel


def test_sessions_all_lists_the_saved_sessions_as_a_tree(saved, second: Kernel) -> None:
    _, session_id, child_id = saved
    lines = ok(second, "%amplifier sessions --all").stdout.splitlines()
    assert lines[0].startswith("session") and session_id in lines[0] and "2 turns" in lines[0]
    assert "ended" in lines[0]
    assert lines[1].startswith("└─ notes") and child_id in lines[1]


def test_resume_brings_the_conversation_back_after_a_restart(saved, second: Kernel) -> None:
    _, session_id, _ = saved
    ok(second, f"%amplifier config {scripted_plan_json('Three.')}")
    resumed = ok(second, f"%amplifier resume {session_id[:8]}")
    assert f"resumed {session_id}: 4 messages, 2 turns" in resumed.stdout
    assert "children to continue with --child: notes" in resumed.stdout
    status = ok(second, "%amplifier status").stdout
    assert session_id in status and "turns         2" in status
    assert ok(second, "%%amplifier\nthird question").markdown == ["Three."]
    check = ok(
        second,
        "p = ks.session.coordinator.get('providers')['scripted']\n"
        "print([m.content for m in p.requests[-1].messages if m.role == 'user'])\n"
        "print('session:resume' in seen, 'session:start' in seen, ks.session.is_resumed)",
    )
    lines = check.stdout.splitlines()
    assert lines[0] == "['first question', 'second question', 'third question']"
    assert lines[1] == "True False True"
    # The transcript goes on in the same folder.
    messages = (saved[0] / ".amplifier" / "sessions" / session_id / "messages.jsonl").read_text()
    assert len(messages.splitlines()) == 6


def test_a_saved_child_continues_under_the_resumed_session(saved, second: Kernel) -> None:
    _, session_id, child_id = saved
    result = ok(second, "%%amplifier --child notes\nand more")
    assert "continues its saved conversation (2 messages)" in result.stdout
    check = ok(
        second,
        "c = ks.children['notes']\n"
        "print(c.session_id, c.session.parent_id, c.turns)\n"
        "p = c.session.coordinator.get('providers')['scripted']\n"
        "print(len(p.requests[-1].messages), c.totals.requests)",
    )
    lines = check.stdout.split()
    assert lines[:3] == [child_id, session_id, "2"]
    assert lines[3] == "3"
    assert lines[4] == "2"  # the saved request's usage is counted with the new one


def test_resume_of_a_missing_or_child_session_says_what_to_do(saved, second: Kernel) -> None:
    _, session_id, child_id = saved
    missing = second.execute("%amplifier resume 00000000-nope")
    assert "no saved session '00000000-nope'" in missing.stderr
    assert "%amplifier sessions --all" in missing.stderr
    child = second.execute(f"%amplifier resume {child_id}")
    assert f"is a child of {session_id}" in child.stderr
    for result in (missing, child):
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_resume_that_cannot_start_leaves_the_kernels_plan_as_it_was(tmp_path: Path) -> None:
    # A session saved with its key in the plan (redacted on disk), resumed without a key.
    session_id = "0f0f0f0f-0000-4000-8000-000000000001"
    folder = tmp_path / ".amplifier" / "sessions" / session_id
    folder.mkdir(parents=True)
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-claude", "config": {"api_key": "[REDACTED]"}}],
    }
    metadata = {"session_id": session_id, "plan": plan, "turns": 1, "state": "ended"}
    (folder / "metadata.json").write_text(json.dumps(metadata))
    with Kernel(env=offline_env(), cwd=str(tmp_path)) as kernel:
        ok(kernel, SETUP)
        failed = kernel.execute(f"%amplifier resume {session_id}")
        assert failed.stderr.startswith("amplifier: No Anthropic API key")
        # The user never chose the saved plan: the kernel keeps the default one.
        assert ok(kernel, "%amplifier config").stdout.startswith("amplifier: the default plan:")


def test_resume_without_a_plan_uses_the_saved_one(saved) -> None:
    folder, session_id, _ = saved
    with Kernel(env=offline_env(), cwd=str(folder)) as kernel:
        ok(kernel, SETUP)
        assert "resumed" in ok(kernel, f"%amplifier resume {session_id}").stdout
        # The saved plan's scripted provider starts its script again.
        assert ok(kernel, "%%amplifier\nonce more").markdown == ["One."]
