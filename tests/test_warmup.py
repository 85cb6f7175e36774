"""The warm-up: after ``%load_ext`` the kernel imports, between cells, what the first
``%%amplifier`` cell would, and nothing else changes (no session, shutdown, the off switch).

Each kernel test starts its own kernel: the warm-up happens once per process. The
tests of the collector's freeze during a cell drive a ``Warmup`` object's events alone.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fake_anthropic import FakeAnthropic
from kernel_harness import Kernel, fake_api_env, offline_env
from waiting import DEADLINE

from amplifier_jupyter._ipython.warmup import Warmup

STATE = (
    "import json, sys\n"
    "_w = sys.modules['amplifier_jupyter._ipython.warmup'].current()\n"
    "print(json.dumps(None if _w is None else {'done': _w.done.is_set(), "
    "'imported': _w.imported, 'failed': _w.failed}))"
)
# Packages the first cell imports, and the warm-up must have imported before it.
HEAVY = ("anthropic", "amplifier_core", "ipywidgets", "anywidget", "pydantic", "httpx2")


def warmup_state(kernel: Kernel) -> dict | None:
    result = kernel.execute(STATE)
    assert result.ok, result.error
    return json.loads(result.stdout)


def wait_for_the_warmup(kernel: Kernel) -> dict:
    """Poll between cells (the warm-up runs only while no cell does) until it is done."""
    deadline = time.monotonic() + 4 * DEADLINE
    while True:
        state = warmup_state(kernel)
        assert state is not None, "no warm-up in this kernel"
        if state["done"]:
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {4 * DEADLINE:g} s for the warm-up: {state}")
        time.sleep(0.2)


def modules(kernel: Kernel) -> set[str]:
    result = kernel.execute("import json, sys; print(json.dumps(sorted(sys.modules)))")
    assert result.ok, result.error
    return set(json.loads(result.stdout))


@pytest.fixture
def claude_kernel(tmp_path: Path, fake_anthropic: FakeAnthropic):
    """A kernel with the default plan (provider-claude) against the fake Messages API."""
    with Kernel(env=offline_env(**fake_api_env(fake_anthropic.url)), cwd=str(tmp_path)) as kernel:
        yield kernel


def test_the_first_cell_finds_its_imports_done(
    claude_kernel: Kernel, fake_anthropic: FakeAnthropic
) -> None:
    load = claude_kernel.execute("%load_ext amplifier_jupyter")
    assert load.ok and not load.stderr, load.stderr
    state = wait_for_the_warmup(claude_kernel)
    assert state["failed"] == {}
    before = modules(claude_kernel)
    for name in (*HEAVY, "amplifier_jupyter.ui.panel", "amplifier_jupyter.cell.run"):
        assert name in before, name
    assert "amplifier_jupyter.modules.provider_claude._provider" in before
    # The SDK's response models are built too (first_imports.sdk_first_stream), and the
    # canned answer it read went nowhere: the fake API has had no request.
    built = claude_kernel.execute(
        "import anthropic\nprint(anthropic.types.ParsedMessage.__pydantic_complete__)"
    )
    assert built.stdout.strip() == "True", (built.stdout, built.stderr)
    assert fake_anthropic.requests == []

    first = claude_kernel.execute("%%amplifier\nWhat is 2 + 2?")
    assert first.markdown == ["4"]
    assert "Traceback" not in first.stderr, first.stderr
    new = modules(claude_kernel) - before
    assert not {name for name in new if name.split(".")[0] in HEAVY}, sorted(new)
    # Without the warm-up the first cell imports over 3,000 modules.
    assert len(new) < 10, sorted(new)[:20]


# What the first cell would fill for the process (first_imports.first_calls and the canned
# answer of sdk_first_stream), and a counter of the loader's reads of the entry points.
FIRST_CALLS = """
import asyncio, importlib.metadata, json, sys
import anthropic._models
from amplifier_jupyter import redaction
from amplifier_jupyter.cell import options
from amplifier_jupyter.loading import entry_points
if not hasattr(entry_points, "reads"):
    entry_points.reads = 0
    _read = importlib.metadata.entry_points
    def _counted(**select):
        entry_points.reads += 1
        return _read(**select)
    entry_points.importlib.metadata.entry_points = _counted
print(json.dumps({
    "cwd on sys.path": "" in sys.path,
    "parser": options._cell_parser.cache_info().currsize,
    "type adapters": anthropic._models._CachedTypeAdapter.cache_info().currsize,
    "secret values": redaction._secret_env_values._cache is not None,
    "executor": asyncio.get_running_loop()._default_executor is not None,
    "entry point reads": entry_points.reads,
}))
"""


def test_the_first_cell_finds_its_first_calls_made(
    tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    """What the first cell would do once for the process is done (docs/design.md fact 34),
    and the transcripts' folder it makes in the working directory, on sys.path as '' in
    a kernel as Jupyter starts one, does not make the loader read the installed modules
    again."""
    env = offline_env(**fake_api_env(fake_anthropic.url))
    env.pop("PYTHONSAFEPATH", None)  # the tests' own setting (conftest.py)
    with Kernel(env=env, cwd=str(tmp_path)) as kernel:
        assert kernel.execute("%load_ext amplifier_jupyter").ok
        assert wait_for_the_warmup(kernel)["failed"] == {}
        before = json.loads(kernel.execute(FIRST_CALLS).stdout)
        assert before["cwd on sys.path"] and before["parser"] == 1
        assert before["secret values"] and before["executor"]
        assert kernel.execute("%%amplifier\nWhat is 2 + 2?").markdown == ["4"]
        assert (tmp_path / ".amplifier").is_dir()
        after = json.loads(kernel.execute(FIRST_CALLS).stdout)
    assert after == before, (before, after)


def test_the_plan_decides_whether_the_sdk_is_warmed(tmp_path: Path) -> None:
    """A scripted plan set in the same cell as %load_ext: no anthropic SDK."""
    with Kernel(env=offline_env(), cwd=str(tmp_path)) as kernel:
        setup = kernel.execute(
            "%load_ext amplifier_jupyter\n"
            "from amplifier_jupyter.session.plans import scripted_plan\n"
            "plan = scripted_plan(['Hi.'])\n"
            "%amplifier config plan"
        )
        assert setup.ok, setup.error
        state = wait_for_the_warmup(kernel)
        assert state["failed"] == {}
        loaded = modules(kernel)
        assert "amplifier_jupyter.modules.provider_scripted._provider" in loaded
        assert "ipywidgets" in loaded
        assert "anthropic" not in loaded
        assert kernel.execute("%%amplifier\nhello").markdown == ["Hi."]


def test_the_warmup_never_makes_a_session(claude_kernel: Kernel, tmp_path: Path) -> None:
    assert claude_kernel.execute("%load_ext amplifier_jupyter").ok
    wait_for_the_warmup(claude_kernel)
    probe = claude_kernel.execute(
        "import sys\n"
        "kernel = sys.modules['amplifier_jupyter.session.kernel']\n"
        "print(kernel._KERNEL_SESSION is None)"
    )
    assert probe.stdout.split() == ["True"], probe.stdout + probe.stderr
    assert not (tmp_path / ".amplifier").exists()


def test_no_module_is_imported_while_a_cell_runs(claude_kernel: Kernel) -> None:
    """The thread parks at its next module once a cell starts, and stays parked."""
    assert claude_kernel.execute("%load_ext amplifier_jupyter").ok
    cell = claude_kernel.execute(
        "import sys, time\n"
        "_w = sys.modules['amplifier_jupyter._ipython.warmup'].current()\n"
        f"_deadline = time.monotonic() + {DEADLINE}\n"
        "while not _w.parked:\n"
        "    assert time.monotonic() < _deadline, 'the warm-up never parked'\n"
        "_before = len(sys.modules)\n"
        "_spin = time.monotonic() + 1.0\n"
        "while time.monotonic() < _spin:\n"
        "    pass\n"
        "print(_w.done.is_set(), len(sys.modules) - _before)"
    )
    assert cell.ok, cell.error
    done, imported = cell.stdout.split()
    assert done == "False", "the warm-up was over before the test could look"
    assert imported == "0"


def test_a_cell_may_import_inside_a_package_being_warmed(claude_kernel: Kernel) -> None:
    """A cell importing submodules of what the thread is importing gets whole modules."""
    assert claude_kernel.execute("%load_ext amplifier_jupyter").ok
    cell = claude_kernel.execute(
        "from anthropic.types.beta import BetaMessage\n"
        "from ipywidgets.widgets.widget_box import VBox\n"
        "from pydantic.fields import FieldInfo\n"
        "print(BetaMessage.__name__, VBox.__name__, FieldInfo.__name__)"
    )
    assert cell.ok, cell.error
    assert cell.stdout.split() == ["BetaMessage", "VBox", "FieldInfo"]
    assert wait_for_the_warmup(claude_kernel)["failed"] == {}


def test_the_warmup_can_be_turned_off(tmp_path: Path, fake_anthropic: FakeAnthropic) -> None:
    env = offline_env(**fake_api_env(fake_anthropic.url), AMPLIFIER_JUPYTER_WARMUP="0")
    with Kernel(env=env, cwd=str(tmp_path)) as kernel:
        assert kernel.execute("%load_ext amplifier_jupyter").ok
        assert warmup_state(kernel) is None
        for _ in range(3):  # idle time between cells, where the warm-up would import
            time.sleep(0.2)
            kernel.execute("pass")
        loaded = modules(kernel)
        assert not {"anthropic", "ipywidgets", "amplifier_core"} & loaded
        assert kernel.execute("%%amplifier\nWhat is 2 + 2?").markdown == ["4"]


# -- the collector during a cell (no kernel: the Warmup object's own events) ------------


@pytest.fixture
def unfrozen() -> Iterator[ModuleType]:
    """Each test starts and ends with nothing frozen in this process."""
    gc.unfreeze()
    yield gc
    gc.unfreeze()


def test_a_cell_during_the_warmup_runs_with_gc_frozen(unfrozen: ModuleType) -> None:
    """docs/design.md, fact 42: the warm-up's young objects stay out of the cell's
    collections; the freeze ends with the outermost cell (the events nest)."""
    warmup = Warmup([])  # never started: not done
    warmup.cell_started()
    assert unfrozen.get_freeze_count() > 0
    warmup.cell_started()
    warmup.cell_ended()
    assert unfrozen.get_freeze_count() > 0
    warmup.cell_ended()
    assert unfrozen.get_freeze_count() == 0
    warmup.cell_ended()  # an empty cell: post_execute alone
    assert unfrozen.get_freeze_count() == 0


@pytest.mark.parametrize("how", ["stop", "park", "exit", "end"])
def test_no_freeze_outlives_the_warmup(unfrozen: ModuleType, how: str) -> None:
    """Stopped (%unload_ext, the shutdown hook, atexit) or ended mid-cell: unfrozen, and
    the cells after it freeze nothing."""
    warmup = Warmup([])
    warmup.cell_started()
    assert unfrozen.get_freeze_count() > 0
    if how == "stop":
        warmup.stop()
    elif how == "park":
        warmup.stop(park=True)
    elif how == "exit":
        warmup.stop_for_exit()
    else:
        warmup._end()
    assert unfrozen.get_freeze_count() == 0
    warmup.cell_ended()
    warmup.cell_started()
    assert unfrozen.get_freeze_count() == 0
    warmup.cell_ended()


def test_someone_elses_freeze_is_left_alone(unfrozen: ModuleType) -> None:
    unfrozen.freeze()
    frozen = unfrozen.get_freeze_count()
    warmup = Warmup([])
    warmup.cell_started()
    warmup.cell_ended()
    assert unfrozen.get_freeze_count() == frozen > 0


def test_gc_is_unfrozen_after_a_cell_that_raises(claude_kernel: Kernel) -> None:
    """In a kernel: frozen in a cell run during the warm-up, unfrozen once it has
    raised (a post_run_cell callback, which runs after the warm-up's post_execute)."""
    load = claude_kernel.execute(
        "%load_ext amplifier_jupyter\n"
        "import gc\n"
        "_seen = []\n"
        "get_ipython().events.register('post_run_cell', "
        "lambda result: _seen.append(gc.get_freeze_count()))"
    )
    assert load.ok, load.error
    cell = claude_kernel.execute(
        "import sys\n"
        "_w = sys.modules['amplifier_jupyter._ipython.warmup'].current()\n"
        "print(_w.done.is_set(), gc.get_freeze_count() > 0)\n"
        "raise ValueError('the cell fails')"
    )
    assert not cell.ok
    assert cell.stdout.split() == ["False", "True"], "the warm-up was over too soon"
    seen = claude_kernel.execute("print(_seen[:2])")
    assert seen.stdout.strip() == "[0, 0]", seen.stdout + seen.stderr
    wait_for_the_warmup(claude_kernel)
    assert claude_kernel.execute("print(gc.get_freeze_count())").stdout.strip() == "0"
