"""Where modules come from: installed, a local directory, a built-in equivalent, or nowhere."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.loading.resolver import local_directory
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.plans import scripted_plan

GREET_MODULE = '''
"""A tool module living in a plain folder, as a user would write one."""
from amplifier_core import ToolResult


class Greet:
    name = "greet"
    description = "Greets someone."
    input_schema = {"type": "object", "properties": {"who": {"type": "string"}}}

    async def execute(self, input):
        return ToolResult(success=True, output=f"{GREETING}, {input['who']}!")


async def mount(coordinator, config=None):
    await coordinator.mount("tools", Greet(), name="greet")
'''


def write_module(root: Path, package: str, greeting: str) -> Path:
    folder = root / package
    folder.mkdir(parents=True)
    source = textwrap.dedent(GREET_MODULE).replace("{GREETING}", greeting)
    (folder / "__init__.py").write_text(source)
    return folder


async def run_greet(source: str) -> tuple[str, KernelSession]:
    plan = scripted_plan([{"tool_calls": [{"name": "greet", "input": {"who": "Ada"}}]}, "Greeted."])
    plan["tools"] = [{"module": "tool-greet", "source": source}]
    ks = KernelSession()
    await ks.set_plan(plan)
    await ks.ensure_session()
    ks.policy.set("allow")
    answer = await ks.execute("greet Ada")
    return answer, ks


async def test_a_local_directory_source_loads_from_there(tmp_path: Path) -> None:
    project = tmp_path / "amplifier-module-tool-greet"
    write_module(project, "amplifier_module_tool_greet", "Hello")
    answer, ks = await run_greet(str(project))
    assert answer == "Greeted."
    messages = await ks.messages()
    assert messages[2]["content"] == "Hello, Ada!"
    assert ks.loader.origins["tool-greet"] == f"path {project}"
    await ks.reset()


def test_local_directory_recognizes_only_existing_local_folders(tmp_path: Path) -> None:
    assert local_directory(str(tmp_path)) == tmp_path
    assert local_directory(f"file://{tmp_path}") == tmp_path
    assert local_directory({"path": str(tmp_path)}) == tmp_path
    assert local_directory(str(tmp_path / "missing")) is None
    assert local_directory("git+https://example.invalid/x@main") is None
    assert local_directory(None) is None


async def test_builtin_ids_load_as_installed_modules_without_notices() -> None:
    ks = KernelSession()
    await ks.set_plan(scripted_plan(["hi"]))
    await ks.execute("x")
    for module_id in ("loop-notebook", "context-notebook", "provider-scripted"):
        assert ks.loader.origins[module_id] == "built-in"
    assert ks.loader.notices == []
    await ks.reset()


async def test_an_unknown_orchestrator_fails_with_one_line_and_the_kernel_session_lives() -> None:
    plan = scripted_plan(["hi"])
    # Not a git source: those are installed with pip (test_sources.py), and this stays offline.
    plan["session"]["orchestrator"] = {"module": "loop-nowhere", "source": "./no-such-folder"}
    ks = KernelSession()
    await ks.set_plan(plan)
    with pytest.raises(AmplifierUserError) as caught:
        await ks.execute("x")
    message = str(caught.value)
    assert message.startswith(
        "the session could not start: Cannot initialize without orchestrator: module "
        "'loop-nowhere' is not installed or built in (source: ./no-such-folder) (this kernel "
        "has: loop-notebook) — install it with %amplifier install SOURCE or ID"
    )
    await ks.set_plan(scripted_plan(["back"]))
    assert await ks.execute("x") == "back"
    await ks.reset()
