"""Module sources: a git+file:// repository made here, installed with pip on first use.

Offline: pip runs with ``--no-index --no-build-isolation`` (hatchling is
installed) and a local ``--find-links`` folder. Everything installed is
uninstalled at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_harness import Kernel, offline_env

from amplifier_jupyter.loading.installer import InstallRefused, check_report, git_ref, git_source

MODULE_DIST = "amplifier-module-tool-jupyter-echo-test"
DEP_DIST = "amplifier-jupyter-test-dependency"
MODULE_CODE = '''
"""A tiny tool module for tests."""

class Echo:
    name = "echo"
    description = "Echo the input"
    input_schema = {"type": "object", "properties": {"text": {"type": "string"}}}

    async def execute(self, input):
        from amplifier_core import ToolResult
        return ToolResult(success=True, output=input.get("text", ""))


async def mount(coordinator, config=None):
    await coordinator.mount("tools", Echo(), name="echo")
'''


def pyproject(name: str, version: str, package: str, *, deps=(), entry: str | None = None) -> str:
    text = (
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        f"dependencies = {json.dumps(list(deps))}\n"
    )
    if entry:
        text += f'\n[project.entry-points."amplifier.modules"]\n{entry} = "{package}:mount"\n'
    return text + f'\n[tool.hatch.build.targets.wheel]\npackages = ["{package}"]\n'


def make_project(folder: Path, name: str, version: str, package: str, code: str, **kw) -> Path:
    (folder / package).mkdir(parents=True)
    (folder / package / "__init__.py").write_text(code)
    (folder / "pyproject.toml").write_text(pyproject(name, version, package, **kw))
    return folder


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def make_repo(folder: Path, *, deps=()) -> str:
    """A git repository holding the echo module; returns its git+file:// source at v0.1.0."""
    make_project(
        folder,
        MODULE_DIST,
        "0.1.0",
        "amplifier_module_tool_jupyter_echo_test",
        MODULE_CODE,
        deps=deps,
        entry="tool-jupyter-echo-test",
    )
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "echo module")
    git(folder, "tag", "v0.1.0")
    return f"git+file://{folder}@v0.1.0"


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    base = tmp_path_factory.mktemp("sources")
    wheels = base / "wheels"
    # A dependency at 2.0, installed, and 1.0 findable: a module pinning <2 would downgrade it.
    for version in ("1.0", "2.0"):
        project = make_project(
            base / f"dep-{version}", DEP_DIST, version, "amplifier_jupyter_test_dependency", ""
        )
        built = pip("wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation",
                    "-w", str(wheels), str(project))  # fmt: skip
        assert built.returncode == 0, built.stderr
    installed = pip("install", "-q", "--no-index", "--find-links", str(wheels), f"{DEP_DIST}==2.0")
    assert installed.returncode == 0, installed.stderr
    try:
        yield {
            "echo": make_repo(base / "echo"),
            "pinned": make_repo(base / "pinned", deps=[f"{DEP_DIST}<2"]),
            "pip_args": f"--no-index --no-build-isolation --find-links {wheels}",
        }
    finally:
        pip("uninstall", "-y", "-q", MODULE_DIST, DEP_DIST)


@pytest.fixture(scope="module")
def kernel_with_sources(sources, tmp_path_factory) -> Iterator[Kernel]:
    env = offline_env(AMPLIFIER_JUPYTER_PIP_ARGS=sources["pip_args"])
    with Kernel(env=env, cwd=str(tmp_path_factory.mktemp("nb"))) as kernel:
        result = kernel.execute("%load_ext amplifier_jupyter")
        assert result.ok, result.error
        yield kernel


@pytest.fixture
def echo_not_installed() -> None:
    """The echo module's distribution is not installed, whatever an earlier test installed."""
    pip("uninstall", "-y", "-q", MODULE_DIST)
    assert pip("show", MODULE_DIST).returncode != 0


def plan_with_tool(source: str) -> str:
    return json.dumps(
        {
            "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
            "providers": [
                {
                    "module": "provider-scripted",
                    "config": {
                        "script": [
                            {"tool_calls": [{"name": "echo", "input": {"text": "ping"}}]},
                            "Echoed.",
                        ]
                    },
                }
            ],
            "tools": [{"module": "tool-jupyter-echo-test", "source": source}],
        }
    )


# -- pure logic --------------------------------------------------------------------


def test_git_sources_and_refs_are_recognised() -> None:
    assert git_source({"uri": "git+https://github.com/o/r@v1"}) == "git+https://github.com/o/r@v1"
    assert git_source("/some/folder") is None and git_source(None) is None
    assert git_ref("git+https://github.com/o/r@main#subdirectory=x") == "main"
    assert git_ref("git+https://github.com/o/r") is None


def test_a_report_that_changes_an_installed_package_is_refused() -> None:
    report = {
        "install": [
            {"metadata": {"name": "the-module", "version": "1.0"}, "requested": True},
            {"metadata": {"name": "Anthropic", "version": "1.9"}, "requested": False},
        ]
    }
    with pytest.raises(InstallRefused) as caught:
        check_report(report, {"anthropic": "2.3.0", "the-module": "0.9"})
    assert "downgrade Anthropic 2.3.0" in str(caught.value) and "1.9" in str(caught.value)
    # Replacing the requested package itself is what the user asked for.
    assert check_report(report, {"the-module": "0.9"}) == [
        ("the-module", "1.0"),
        ("Anthropic", "1.9"),
    ]


# -- in a kernel -----------------------------------------------------------------------


def test_modules_lists_a_git_source_before_its_first_use(
    kernel_with_sources, sources, echo_not_installed
) -> None:
    kernel = kernel_with_sources
    assert kernel.execute(f"%amplifier config {plan_with_tool(sources['pinned'])}").ok
    rows = kernel.execute("%amplifier modules").stdout.splitlines()
    echo = next(r for r in rows if "tool-jupyter-echo-test" in r)
    assert "git git+file://" in echo and "(installed on first use)" in echo
    assert echo.split()[-1] == "v0.1.0"
    assert any("loop-notebook" in r and "built-in" in r for r in rows)


def test_an_install_that_would_downgrade_a_package_is_refused(
    kernel_with_sources, sources, echo_not_installed
) -> None:
    # This module pins the dependency below the installed 2.0.
    plan = plan_with_tool(sources["pinned"])
    assert "plan set" in kernel_with_sources.execute(f"%amplifier config {plan}").stdout
    result = kernel_with_sources.execute("%%amplifier\nhi")
    # A tool that cannot load is a one-line notice; the run goes on without it.
    said = result.stdout + result.stderr
    assert f"refused: installing this would downgrade {DEP_DIST} 2.0" in said
    assert "with 1.0" in said and "Traceback" not in said
    assert pip("show", MODULE_DIST).returncode != 0  # nothing was installed


def test_a_git_source_is_installed_on_first_use_and_loaded(
    kernel_with_sources, sources, echo_not_installed
) -> None:
    kernel = kernel_with_sources
    assert kernel.execute(f"%amplifier config {plan_with_tool(sources['echo'])}").ok
    assert kernel.execute(
        "from amplifier_jupyter.session.kernel import kernel_session\nks = kernel_session()\n"
        "progress = []\n"
        "ks.add_listener(lambda e, d: progress.append(d['status']) "
        "if e == 'install:progress' else None)"
    ).ok
    kernel.execute("ks.approval_policy().set('allow')")
    result = kernel.execute("%%amplifier\nsay ping")
    assert result.markdown == ["Echoed."], result.stderr
    assert f"installed {MODULE_DIST} 0.1.0" in result.stdout
    check = kernel.execute(
        "print(progress[0], progress[-1], 'progress' in progress)\n"
        "print(sorted(ks.session.coordinator.get('tools')))\n"
        "p = ks.session.coordinator.get('providers')['scripted']\n"
        "print(p.requests[-1].messages[-1].content)"
    )
    lines = check.stdout.splitlines()
    assert lines[0] == "started done True"
    assert lines[1] == "['echo']"
    assert "ping" in lines[2]
    rows = kernel.execute("%amplifier modules").stdout.splitlines()
    echo = next(r for r in rows if "tool-jupyter-echo-test" in r)
    assert "git git+file://" in echo and "@v0.1.0 (installed," in echo
    assert echo.split()[-1] == "0.1.0"


def test_install_by_module_id_when_already_installed(kernel_with_sources, sources) -> None:
    installed = pip("install", "-q", *sources["pip_args"].split(), sources["echo"])
    assert installed.returncode == 0, installed.stderr
    # The module id is looked up in the active plan, which names the echo module's source.
    plan = plan_with_tool(sources["echo"])
    assert "plan set" in kernel_with_sources.execute(f"%amplifier config {plan}").stdout
    result = kernel_with_sources.execute("%amplifier install tool-jupyter-echo-test")
    assert "is already installed" in result.stdout, result.stderr
    missing = kernel_with_sources.execute("%amplifier install")
    assert "usage: %amplifier install" in missing.stderr


def test_one_of_amplifier_s_own_modules_installs_by_its_id(sources, tmp_path) -> None:
    """``%amplifier install tool-todo`` (a catalog id, no source anywhere) installs from
    Amplifier's repository, here a local one standing in for github.com/microsoft/..."""
    dist = "amplifier-module-tool-todo"
    make_project(
        tmp_path / "amplifier-module-tool-todo",
        dist,
        "0.3.0",
        "amplifier_module_tool_todo",
        MODULE_CODE,
        entry="tool-todo",
    )
    repo = tmp_path / "amplifier-module-tool-todo"
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "todo")
    env = offline_env(
        AMPLIFIER_JUPYTER_PIP_ARGS=sources["pip_args"],
        AMPLIFIER_JUPYTER_MODULE_SOURCE=f"git+file://{tmp_path}/amplifier-module-{{id}}@main",
    )
    try:
        with Kernel(env=env, cwd=str(tmp_path)) as kernel:
            assert kernel.execute("%load_ext amplifier_jupyter").ok
            available = kernel.execute("%amplifier modules --available").stdout
            todo = next(r for r in available.splitlines() if " tool-todo " in r)
            assert todo.rstrip().endswith("-")  # known, not installed yet
            assert "provider-openai" in available
            result = kernel.execute("%amplifier install tool-todo")
            assert f"installed {dist} 0.3.0 (modules: tool-todo)" in result.stdout, result.stderr
            again = kernel.execute("%amplifier modules --available").stdout
            assert next(r for r in again.splitlines() if " tool-todo " in r).endswith("installed")
            unknown = kernel.execute("%amplifier install tool-todoo")
            assert "did you mean tool-todo?" in unknown.stderr
    finally:
        pip("uninstall", "-y", "-q", dist)
