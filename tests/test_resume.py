"""%amplifier resume: a saved session back with its conversation, also after a restart."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fake_anthropic import tool_reply
from kernel_harness import Kernel, fake_api_env, offline_env, ok, scripted_plan_json
from widget_comms import TOOLS_SOURCE

SETUP = (
    "%load_ext amplifier_jupyter\n"
    "from amplifier_jupyter.session.kernel import kernel_session\n"
    "ks = kernel_session()\n"
    "seen = []\n"
    "ks.add_listener(lambda e, d: seen.append(e))\n"
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
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


@pytest.fixture
def saved(pristine: tuple[Path, str, str], tmp_path: Path) -> tuple[Path, str, str]:
    """A copy of that folder for one test: what a test resumes and continues is its own."""
    folder = tmp_path / "notebook"
    shutil.copytree(pristine[0], folder)
    return folder, pristine[1], pristine[2]


@pytest.fixture
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
    ok(second, f"%amplifier config {scripted_plan_json('Three.')}")
    assert "resumed" in ok(second, f"%amplifier resume {session_id}").stdout
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


# -- after a kill -9 -----------------------------------------------------------


def _kill_9(kernel: Kernel) -> None:
    """``kill -9`` the kernel's process (no cleanup, no session:end), then let go of it."""
    process = kernel.manager.provisioner.process
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    kernel.shutdown()


def _saved_messages(folder: Path, session_id: str) -> list[dict]:
    path = folder / ".amplifier" / "sessions" / session_id / "messages.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _run_until_killed(kernel: Kernel, folder: Path, code: str, written: Callable) -> str:
    """Start ``code`` and kill the kernel once the transcript satisfies ``written``."""
    session_id = ok(kernel, "print(ks.session.session_id)").stdout.strip()
    kernel.client.execute(code)
    deadline = time.monotonic() + 60
    while not written(_saved_messages(folder, session_id)):
        assert time.monotonic() < deadline, _saved_messages(folder, session_id)
        time.sleep(0.05)
    time.sleep(0.5)  # well into the answer, or the tool call
    _kill_9(kernel)
    return session_id


def _user_texts(body: dict) -> list[str]:
    """The text of every user message of a request, one string per message."""
    texts = []
    for message in body["messages"]:
        if message["role"] == "user":
            content = message["content"]
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            texts.append(" ".join(b["text"] for b in blocks if b["type"] == "text"))
    return texts


def test_resume_after_a_kill_mid_answer_leaves_the_unanswered_prompt_out(
    tmp_path: Path, fake_anthropic
) -> None:
    env = offline_env(**fake_api_env(fake_anthropic.url))
    first = Kernel(env=env, cwd=str(tmp_path)).start()
    ok(first, SETUP)
    assert ok(first, "%%amplifier\nthe first question").markdown
    fake_anthropic.enqueue({"text": "word " * 400, "chunk_delay": 0.1, "chunk_size": 5})
    killed = "the killed question, which never got its answer" + " and goes on" * 10
    session_id = _run_until_killed(
        first,
        tmp_path,
        f"%%amplifier\n{killed}",
        lambda saved: (
            len(fake_anthropic.requests) == 2 and saved[-1:] and saved[-1]["role"] == "user"
        ),
    )
    assert _saved_messages(tmp_path, session_id)[-1]["content"] == killed
    with Kernel(env=env, cwd=str(tmp_path)) as second:
        ok(second, SETUP)
        lines = ok(second, f"%amplifier resume {session_id}").stdout.splitlines()
        assert lines[0].startswith(f"amplifier: resumed {session_id}: 2 messages, 1 turns")
        assert len(lines) == 2 and "the last prompt had no answer" in lines[1]
        assert "'the killed question, which never got its answer" in lines[1]
        assert len(lines[1]) < 200 and "…" in lines[1]  # shortened
        assert "turns         1" in ok(second, "%amplifier status").stdout
        assert ok(second, "%%amplifier\nafter the crash").markdown
        body = fake_anthropic.bodies[-1]
        assert _user_texts(body) == ["the first question", "after the crash"]
        assert "turns         2" in ok(second, "%amplifier status").stdout
    # The transcript is the conversation as it went on: the killed prompt is not in it.
    saved = _saved_messages(tmp_path, session_id)
    assert [m["role"] for m in saved] == ["user", "assistant", "user", "assistant"]
    assert killed not in json.dumps(saved)


def test_resume_after_a_kill_during_a_tool_call_gives_the_call_no_result(
    tmp_path: Path, fake_anthropic
) -> None:
    env = offline_env(**fake_api_env(fake_anthropic.url))
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-claude"}],
        "tools": [{"module": "tool-echo", "source": TOOLS_SOURCE}],
    }
    first = Kernel(env=env, cwd=str(tmp_path)).start()
    ok(first, SETUP + f"%amplifier config {json.dumps(plan)}\n%amplifier approve allow")
    assert ok(first, "%%amplifier\nthe first question").markdown
    fake_anthropic.enqueue(tool_reply("nap", {"seconds": 120}, id="toolu_killed"))

    def calling(saved: list[dict]) -> bool:
        return bool(saved) and bool(saved[-1].get("tool_calls"))

    session_id = _run_until_killed(first, tmp_path, "%%amplifier\ntake a long nap", calling)
    with Kernel(env=env, cwd=str(tmp_path)) as second:
        ok(second, SETUP)
        lines = ok(second, f"%amplifier resume {session_id}").stdout.splitlines()
        assert lines[0].startswith(f"amplifier: resumed {session_id}: ")
        assert "2 turns" in lines[0]
        assert len(lines) == 2 and "nap" in lines[1] and "no result" in lines[1]
        after = ok(second, "%%amplifier\nwhat happened?")
        assert after.markdown and "Traceback" not in after.stdout + after.stderr
        # The API took the request (the fake checks it as the API does): the call has its
        # "no recorded result" answer, and the new prompt is a turn of its own.
        body = fake_anthropic.bodies[-1]
        results = [
            block
            for message in body["messages"]
            if isinstance(message["content"], list)
            for block in message["content"]
            if block["type"] == "tool_result"
        ]
        assert [r["tool_use_id"] for r in results] == ["toolu_killed"]
        assert "no recorded result" in json.dumps(results[0]["content"])
        assert _user_texts(body)[0] == "the first question"
        assert _user_texts(body)[-1].endswith("what happened?")
        assert "turns         3" in ok(second, "%amplifier status").stdout


def test_a_saved_child_killed_mid_turn_continues_without_its_unanswered_prompt(
    tmp_path: Path,
) -> None:
    # The transcripts as a kill -9 during the child's second prompt leaves them.
    parent_id = "0f0f0f0f-0000-4000-8000-000000000002"
    child_id = "0f0f0f0f-0000-4000-8000-000000000003"
    sessions = tmp_path / ".amplifier" / "sessions"
    conversations = {
        parent_id: [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "Hi."}],
        child_id: [
            {"role": "user", "content": "jot this"},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": "the prompt the kill cut off"},
        ],
    }
    for session_id, messages in conversations.items():
        (sessions / session_id).mkdir(parents=True)
        child = session_id == child_id
        metadata = {
            "session_id": session_id,
            "parent_id": parent_id if child else None,
            "name": "notes" if child else None,
            "created": f"2026-01-01T00:00:0{int(child)}",
            "turns": 2 if child else 1,
            "state": "live",
        }
        (sessions / session_id / "metadata.json").write_text(json.dumps(metadata))
        lines = "".join(json.dumps(m) + "\n" for m in messages)
        (sessions / session_id / "messages.jsonl").write_text(lines)
    with Kernel(env=offline_env(), cwd=str(tmp_path)) as kernel:
        ok(kernel, SETUP + f"%amplifier config {scripted_plan_json('Again.')}")
        assert "1 turns" in ok(kernel, f"%amplifier resume {parent_id}").stdout
        result = ok(kernel, "%%amplifier --child notes\nand now this")
        assert result.markdown == ["Again."]
        (line,) = [x for x in result.stdout.splitlines() if "continues its saved" in x]
        assert "(2 messages); the last prompt had no answer" in line
        assert "'the prompt the kill cut off'" in line
        check = ok(
            kernel,
            "c = ks.children['notes']\n"
            "p = c.session.coordinator.get('providers')['scripted']\n"
            "print(c.turns, [m.content for m in p.requests[-1].messages if m.role == 'user'])",
        )
        assert check.stdout.strip() == "2 ['jot this', 'and now this']"
