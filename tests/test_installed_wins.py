"""Installed means installed: once Amplifier's own module is installed in a running kernel,
the next session runs it, not the built-in that stood in for it before (no restart).

The "real" module here is a package made in the test with upstream loop-basic's names
(distribution with the ``loop-basic`` entry point, package ``amplifier_module_loop_basic``),
installed with pip offline and uninstalled at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_harness import Kernel, offline_env
from test_sources import make_project, pip

DIST = "amplifier-jupyter-test-real-loop-basic"
REAL_ANSWER = "the installed loop-basic answered"
LOOP_CODE = f'''
"""Stands for Amplifier's own loop-basic, installed after its stand-in was used."""


class Loop:
    async def execute(self, prompt, context, providers, tools, hooks, **kwargs):
        await context.add_message({{"role": "user", "content": prompt}})
        await context.add_message({{"role": "assistant", "content": {REAL_ANSWER!r}}})
        return {REAL_ANSWER!r}


async def mount(coordinator, config=None):
    await coordinator.mount("orchestrator", Loop())
'''
PLAN = {
    "session": {"orchestrator": "loop-basic", "context": "context-simple"},
    "providers": [{"module": "provider-scripted", "config": {"script": ["stand-in answered"]}}],
}
PLAIN_FORM = (
    "from amplifier_core import AmplifierSession\n"
    f"async with AmplifierSession(config={PLAN!r}) as session:\n"
    "    print(await session.execute('hi'))\n"
    "import sys\n"
    "print('_standins' in sys.modules['amplifier_module_loop_basic'].__file__)"
)


@pytest.fixture(scope="module")
def real_loop_basic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    project = make_project(
        tmp_path_factory.mktemp("real") / "loop-basic",
        DIST,
        "1.0",
        "amplifier_module_loop_basic",
        LOOP_CODE,
        entry="loop-basic",
    )
    try:
        yield project
    finally:
        pip("uninstall", "-y", "-q", DIST)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    env = offline_env(AMPLIFIER_JUPYTER_PIP_ARGS="--no-index --no-build-isolation")
    with Kernel(env=env, cwd=str(tmp_path_factory.mktemp("nb"))) as k:
        assert k.execute("%load_ext amplifier_jupyter").ok
        yield k


def test_an_installed_module_replaces_its_stand_in_without_a_restart(
    kernel: Kernel, real_loop_basic: Path
) -> None:
    before = kernel.execute(PLAIN_FORM)
    assert before.ok, before.error
    assert before.stdout.splitlines()[-2:] == ["stand-in answered", "True"]

    installed = kernel.execute(f"%amplifier install {real_loop_basic}")
    assert installed.ok, installed.error
    assert pip("show", DIST).returncode == 0, installed.stdout + installed.stderr

    # The seed's plain form: amplifier-core imports amplifier_module_loop_basic itself.
    after = kernel.execute(PLAIN_FORM)
    assert after.ok, after.error
    assert after.stdout.splitlines()[-2:] == [REAL_ANSWER, "False"]

    # The kernel's own session, through the magic, and what %amplifier modules says.
    assert kernel.execute(f"%amplifier config {json.dumps(PLAN)}").ok
    cell = kernel.execute("%%amplifier\nhi")
    assert cell.ok, cell.error
    assert REAL_ANSWER in "".join(cell.markdown)
    row = next(r for r in kernel.execute("%amplifier modules").stdout.splitlines() if "loop-b" in r)
    assert "installed" in row and "built-in" not in row, row
