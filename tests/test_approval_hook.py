"""hooks-notebook-approval as an ordinary module, in real AmplifierSessions (no kernel).

What ``auto`` lets through, the module mounted from a plan under an upstream-like
loop (tests/upstream_like: ``loop-basic-like`` applies hook results as upstream
``loop-basic`` does and runs a response's tool calls in parallel), and the host's
installation winning over a plan's mount.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from amplifier_core import AmplifierSession
from test_upstream_like import CLEANUP_DRAIN, call, calls, like, plan

from amplifier_jupyter.loading.resolver import NotebookModuleLoader
from amplifier_jupyter.modules.hooks_notebook_approval import (
    HOOK_NAME,
    HOST_POLICY_LINE,
    ApprovalPolicy,
    install_approvals,
    is_read_only,
)

APPROVAL = {"module": "hooks-notebook-approval"}


class Tool:
    """A tool declaring what the keyword arguments say."""

    def __init__(self, **declared: Any) -> None:
        for key, value in declared.items():
            setattr(self, key, value)


class Hint:
    """An MCP ``ToolAnnotations``-like object."""

    readOnlyHint = True  # noqa: N815 (MCP's spelling)


def test_auto_lets_through_what_a_tool_declares_and_a_short_upstream_list() -> None:
    assert is_read_only(Tool(read_only=True), "anything")
    assert is_read_only(Tool(annotations={"readOnlyHint": True}), "anything")
    assert is_read_only(Tool(annotations=Hint()), "anything")
    # Upstream read_file and glob declare nothing (fact 23) and only read (fact 27) ...
    assert is_read_only(Tool(), "read_file") and is_read_only(Tool(), "glob")
    # ... but not grep (its pattern can run a command), nor any name that merely looks so.
    for name in ("grep", "read_files", "list_directory", "get_weather", "bash", "write_file"):
        assert not is_read_only(Tool(), name), name
    # A tool that says it is not read-only is believed, whatever its name.
    assert not is_read_only(Tool(read_only=False), "read_file")
    policy = ApprovalPolicy()
    assert policy.decide("read_file", Tool()) == "allow"
    assert policy.decide("grep", Tool()) == "ask"


class Answers:
    """An approval system with Amplifier's protocol only: answers by the call's input."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.prompts: list[tuple[str, list[str], float]] = []

    async def request_approval(
        self, prompt: str, options: list[str], timeout: float, default: str
    ) -> str:
        self.prompts.append((prompt, list(options), timeout))
        # Both parallel questions are open at once before either is answered.
        await asyncio.sleep(0.05)
        return next(answer for text, answer in self.answers.items() if text in prompt)


def bash_plan(tmp_path: Path, script: list[Any], hooks: list[dict[str, Any]]) -> dict[str, Any]:
    tools = [like("tool-bash-like", working_dir=str(tmp_path))]
    return plan("loop-basic-like", script, tools=tools, hooks=hooks)


@asynccontextmanager
async def session_of(
    the_plan: dict[str, Any], approvals: Any, messages: Any = None, host_policy: Any = None
) -> AsyncIterator[Any]:
    """An initialized plain session; ``host_policy``: install the hook as the notebook host does."""
    session = AmplifierSession(config=the_plan, approval_system=approvals, display_system=messages)
    session.coordinator.loader = NotebookModuleLoader(coordinator=session.coordinator)
    if host_policy is not None:
        install_approvals(session.coordinator, host_policy, approvals)
    await session.initialize()
    try:
        yield session
    finally:
        await session.cleanup()
        await asyncio.sleep(CLEANUP_DRAIN)


async def tool_messages(session: Any) -> list[str]:
    messages = await session.coordinator.get("context").get_messages()
    return [m["content"] for m in messages if m["role"] == "tool"]


async def test_mounted_from_a_plan_it_holds_under_loop_basic(tmp_path: Path) -> None:
    """Outside the notebook host a plan mounts the module with its own config and it asks
    through the session's approval system (Amplifier's protocol only). Under upstream
    loop-basic's parallel tool calls each call gets its own answer."""
    script = [calls(call("bash", command="touch yes"), call("bash", command="touch no")), "Ok."]
    config = {"default": "ask", "timeout": 5}
    the_plan = bash_plan(tmp_path, script, [{**APPROVAL, "config": config}])
    answers = Answers({"touch yes": "Allow once", "touch no": "Deny"})
    async with session_of(the_plan, answers) as session:
        assert await session.execute("go") == "Ok."
        assert sorted(p.name for p in tmp_path.iterdir()) == ["yes"]
        assert sorted(prompt for prompt, _, _ in answers.prompts) == [
            'Allow the tool \'bash\' to run with: {"command": "touch no"}',
            'Allow the tool \'bash\' to run with: {"command": "touch yes"}',
        ]
        assert {(tuple(o), t) for _, o, t in answers.prompts} == {
            (("Allow once", "Allow always", "Deny"), 5.0)
        }
        assert "Denied by hook: the user denied it" in await tool_messages(session)


class Messages:
    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []

    def show_message(self, message: str, level: str = "info", source: str = "hook") -> None:
        self.shown.append((message, level, source))


async def test_the_hosts_installation_wins_over_a_plans_mount(tmp_path: Path) -> None:
    """Where the host installed the hook, a plan's mount of it adds no second handler (no
    second question) and its config is not used, in one line."""
    script = [calls(call("bash", command="touch ran")), "Ok."]
    the_plan = bash_plan(tmp_path, script, [{**APPROVAL, "config": {"default": "allow"}}])
    answers, messages = Answers({"touch ran": "Deny"}), Messages()
    host = ApprovalPolicy(default="ask")
    async with session_of(the_plan, answers, messages, host_policy=host) as session:
        handlers = session.coordinator.hooks.list_handlers("tool:pre")["tool:pre"]
        # The host's three tool:pre handlers (seen, the policy, cleared), once.
        assert handlers.count(HOOK_NAME) == 3
        assert messages.shown == [(HOST_POLICY_LINE, "warning", "approval")]
        await session.execute("go")
        assert len(answers.prompts) == 1 and not (tmp_path / "ran").exists()


async def test_a_turns_start_resets_the_gate_on_the_loop_before_the_turn_goes_on() -> None:
    """prompt:submit and execution:start take a plain handler (amplifier-core calls it on
    its own thread); what they reset is reset on the loop's thread, before emit returns."""
    import threading

    from amplifier_jupyter.session.plans import scripted_plan

    session_plan = scripted_plan(["Four."])
    session_plan["tools"] = []
    session = AmplifierSession(config=session_plan)
    hook = install_approvals(session.coordinator, ApprovalPolicy())
    await session.initialize()
    resets: list[int] = []
    real = hook.gate.new_turn

    def new_turn() -> None:
        resets.append(threading.get_ident())
        real()

    hook.gate.new_turn = new_turn  # type: ignore[method-assign]
    try:
        for event in ("prompt:submit", "execution:start"):
            hook.gate.seen["python"] += 1
            hook.user_allowed["python"] += 1
            await session.coordinator.hooks.emit(event, {"prompt": "hi"})
            assert not hook.gate.seen and not hook.user_allowed, event
        assert await session.execute("What is 2 + 2?") == "Four."
    finally:
        await session.cleanup()
    assert resets and set(resets) == {threading.get_ident()}
