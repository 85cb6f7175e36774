"""Child sessions in a real kernel: --child, --config, the tree, events, session.spawn."""

from __future__ import annotations

import json

import pytest
from kernel_harness import Kernel, ok, scripted_plan_json


@pytest.fixture(scope="module")
def fresh(kernel: Kernel) -> Kernel:
    ok(
        kernel,
        "from amplifier_jupyter.session.kernel import kernel_session\nks = kernel_session()\n"
        "added = []\n"
        "def listen(listener):\n"
        "    added.append(listener)\n"
        "    ks.add_listener(listener)\n"
        "def forget_listeners():\n"
        "    for listener in added:\n"
        "        ks.remove_listener(listener)\n"
        "    added.clear()",
    )
    return kernel


def start_over(kernel: Kernel, *replies: str) -> None:
    """A new plan: the kernel's session and its children end, and the listeners tests
    added are gone; each test builds what it needs."""
    ok(kernel, "forget_listeners()")
    ok(kernel, f"%amplifier config {scripted_plan_json(*replies)}")


def run_research_twice(kernel: Kernel) -> None:
    """A kernel turn, then two turns of the child ``research`` (its own scripted provider)."""
    start_over(kernel, "Parent.", "Child one.")
    assert ok(kernel, "%%amplifier\nhello").markdown == ["Parent."]
    assert ok(kernel, "%%amplifier --child research\nlook into it").markdown == ["Parent."]
    assert ok(kernel, "%%amplifier --child research\nand then?").markdown == ["Child one."]


def test_a_child_forks_from_the_kernel_session_and_continues(fresh: Kernel) -> None:
    start_over(fresh, "Parent.", "Child one.", "Child two.")
    assert ok(fresh, "%%amplifier\nhello").markdown == ["Parent."]
    ok(
        fresh,
        "seen = []\nlisten(lambda e, d: seen.append((e, d.get('child'), "
        "d.get('parent_id'), d.get('session_id'))))",
    )
    # The child uses the parent's plan: a fresh scripted provider starts at its first reply.
    first = ok(fresh, "%%amplifier --child research --out r1\nlook into it")
    assert first.markdown == ["Parent."]
    second = ok(fresh, "%%amplifier --child research\nand then?")
    assert second.markdown == ["Child one."]
    check = ok(
        fresh,
        "c = ks.children['research']\n"
        "p = c.session.coordinator.get('providers')['scripted']\n"
        "print(c.session.parent_id == ks.session.session_id, c.turns,"
        " len(p.requests[-1].messages))\n"
        "fork = [s for s in seen if s[0] == 'session:fork']\n"
        "print(fork[0][1], fork[0][2] == ks.session.session_id, fork[0][3] == c.session_id)\n"
        "print({s[1] for s in seen}, r1)",
    )
    lines = check.stdout.splitlines()
    # Continued: the second request carries the first exchange.
    assert lines[0] == "True 2 3"
    assert lines[1] == "research True True"
    # Every forwarded event of the child carries its name.
    assert lines[2] == "{'research'} Parent."


def test_a_child_shares_the_approval_systems_and_policy(fresh: Kernel) -> None:
    run_research_twice(fresh)
    check = ok(
        fresh,
        "c = ks.children['research']\n"
        "print(c.session.coordinator.get_capability('approval.policy') is ks.policy)\n"
        "print(c.session.coordinator.approval_system is ks.session.coordinator.approval_system)",
    )
    assert check.stdout.split() == ["True", "True"]


def test_config_gives_a_child_its_own_plan(fresh: Kernel) -> None:
    start_over(fresh, "Parent.")
    result = ok(
        fresh, f"%%amplifier --child other --config {scripted_plan_json('Other plan.')}\nhi"
    )
    assert result.markdown == ["Other plan."]
    ok(fresh, f"other_plan = {scripted_plan_json('From a variable.')}")
    again = ok(fresh, "%%amplifier --child other --config other_plan\nhi again")
    assert again.markdown == ["From a variable."]
    assert "started afresh" in again.stdout


def test_config_without_child_is_a_usage_line(fresh: Kernel) -> None:
    result = fresh.execute("%%amplifier --config plan\nhi")
    assert "--config goes with --child NAME" in result.stderr
    assert "Traceback" not in result.stderr


def test_sessions_prints_the_tree(fresh: Kernel) -> None:
    run_research_twice(fresh)
    ok(fresh, f"%%amplifier --child other --config {scripted_plan_json('Other plan.')}\nhi")
    out = ok(fresh, "%amplifier sessions").stdout.splitlines()
    ids = ok(
        fresh, "print(ks.session.session_id, ks.children['research'].session_id)"
    ).stdout.split()
    assert out[0].startswith("kernel") and ids[0] in out[0] and "1 turns" in out[0]
    research = next(line for line in out if "research" in line)
    assert research.startswith(("├─ research", "└─ research"))
    assert ids[1] in research and "2 turns" in research and " in · " in research
    assert any(line.lstrip("├└─ ").startswith("other") for line in out)


SPAWN_TOOL = '''
class Delegate:
    """A delegate tool calling session.spawn the way Amplifier's own does."""
    name = "delegate"
    description = "Spawn an agent"
    input_schema = {"type": "object", "properties": {"instruction": {"type": "string"}}}
    def __init__(self, coordinator):
        self.coordinator = coordinator
    async def execute(self, input):
        from amplifier_core import ToolResult
        spawn = self.coordinator.get_capability("session.spawn")
        parent = self.coordinator.session
        result = await spawn(
            agent_name="helper",
            instruction=input["instruction"],
            parent_session=parent,
            agent_configs=parent.config.get("agents", {}),
            sub_session_id=f"{self.coordinator.session_id}-0123456789abcdef_helper",
            tool_inheritance={"exclude_tools": ["delegate"]},
            hook_inheritance={},
            orchestrator_config=None,
            provider_preferences=None,
            self_delegation_depth=0,
        )
        spawned.append(result)
        return ToolResult(success=True, output=result["output"])
spawned = []
'''


def spawn_the_helper(kernel: Kernel) -> None:
    """A plan whose first reply calls the delegate tool, which spawns the agent ``helper``."""
    plan = json.loads(
        scripted_plan_json(
            {"tool_calls": [{"name": "delegate", "input": {"instruction": "summarise"}}]},
            "The helper said: done.",
        )
    )
    plan["agents"] = {
        "helper": {"providers": [{"module": "provider-scripted", "config": {"script": ["Done."]}}]}
    }
    ok(kernel, "forget_listeners()")
    ok(kernel, f"%amplifier config {json.dumps(plan)}")
    ok(kernel, SPAWN_TOOL)
    ok(
        kernel,
        "session = await ks.ensure_session()\n"
        "await session.coordinator.mount('tools', Delegate(session.coordinator), name='delegate')\n"
        "ks.policy.set('allow')\nseen = []\n"
        "listen(lambda e, d: seen.append((e, d.get('child'))))",
    )
    result = ok(kernel, "%%amplifier\nask the helper")
    assert result.markdown == ["The helper said: done."]


def test_session_spawn_forks_a_child_with_the_agent_overlay(fresh: Kernel) -> None:
    spawn_the_helper(fresh)
    check = ok(
        fresh,
        "r = spawned[0]\nc = ks.children['helper']\n"
        "print(r['output'], r['session_id'] == c.session_id, r['turn_count'], r['status'])\n"
        "print(c.session.parent_id == ks.session.session_id, r['session_id'].endswith('_helper'))\n"
        "print(('session:fork', 'helper') in seen, sorted(c.session.coordinator.get('tools')))",
    )
    lines = check.stdout.splitlines()
    assert lines[0] == "Done. True 1 success"
    assert lines[1] == "True True"
    assert lines[2] == "True []"


def test_session_resume_continues_a_spawned_child(fresh: Kernel) -> None:
    spawn_the_helper(fresh)
    check = ok(
        fresh,
        "resume = ks.session.coordinator.get_capability('session.resume')\n"
        "r = await resume(sub_session_id=ks.children['helper'].session_id, instruction='more')\n"
        "print(r['output'], r['turn_count'])",
    )
    # The helper's script is used up: the scripted provider echoes the instruction.
    assert check.stdout.strip() == "(scripted echo) more 2"


def test_reset_ends_every_child(fresh: Kernel) -> None:
    run_research_twice(fresh)
    ok(fresh, f"%%amplifier --child other --config {scripted_plan_json('Other plan.')}\nhi")
    ok(
        fresh,
        "child_ids = [c.session_id for c in ks.children.values()]\n"
        "ended = []\nlisten(lambda e, d: ended.append(d['session_id']) "
        "if e == 'session:end' else None)",
    )
    ok(fresh, "%amplifier reset")
    check = ok(fresh, "print(ks.children, set(child_ids) <= set(ended), len(child_ids))")
    assert check.stdout.split() == ["{}", "True", "2"]
