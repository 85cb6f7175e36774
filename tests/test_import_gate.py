"""The import gate on its own, in a fresh interpreter each (it changes the import system,
and its audit hook stays for good): a thread importing a package parks between modules
while the gate is closed, and another thread's import never waits for it in vain nor runs
inside a half-imported package."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from waiting import DEADLINE

PACKAGE = {
    "__init__.py": "from warmpkg.a import A\nimport warmpkg.later\nDONE = True\n",
    "a.py": "import warmpkg.leaf\nA = 'a'\n",
    "leaf.py": "LEAF = 1\n",
    "later.py": "LATER = 1\n",
    # Records whether its package was whole when it ran.
    "b.py": "import sys\nPARENT_DONE = getattr(sys.modules['warmpkg'], 'DONE', False)\n",
}

SCRIPT = """
import builtins, json, sys, threading, time
from amplifier_jupyter._ipython.import_gate import ImportGate

PARK_AT = {park_at!r}
original_import = builtins.__import__
open_ = threading.Event()
# Closed from PARK_AT's body on: the thread parks there.
gate = ImportGate(lambda: open_.is_set() or PARK_AT not in sys.modules, open_.wait)

def importing():
    gate.install(threading.get_ident())
    try:
        # The first module body waits at the closed gate.
        import warmpkg
    finally:
        gate.uninstall()

thread = threading.Thread(target=importing, daemon=True)
thread.start()
deadline = time.monotonic() + 30
while PARK_AT not in sys.modules:  # a module exists before its body runs
    assert time.monotonic() < deadline, "the thread never reached " + PARK_AT
    time.sleep(0.01)
time.sleep(0.2)  # parked by now, if it parks
parked_inside = not hasattr(sys.modules["warmpkg"], "DONE") and not [
    name for name in vars(sys.modules[PARK_AT]) if not name.startswith("__")
]
import_untouched = builtins.__import__ is original_import
{main}
thread.join(30)
import warmpkg
print(json.dumps({{
    "parked_inside": parked_inside,
    "import_untouched": import_untouched,
    "result": result,
    "loader": type(warmpkg.__loader__).__name__,
    "spec_loader": type(warmpkg.__spec__.loader).__name__,
    "thread_done": not thread.is_alive(),
}}))
"""


def run(tmp_path: Path, main: str, park_at: str = "warmpkg") -> dict:
    """``main`` runs while the thread is parked before ``park_at``'s body."""
    folder = tmp_path / "warmpkg"
    folder.mkdir()
    for name, text in PACKAGE.items():
        (folder / name).write_text(text)
    code = SCRIPT.format(main=textwrap.dedent(main), park_at=park_at)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=4 * DEADLINE,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_thread_waiting_for_a_parked_module_gets_it_whole(tmp_path: Path) -> None:
    """The gate stays closed: the importing thread goes on only because main waits for
    the package's import lock (import_module does not pass through builtins.__import__)."""
    out = run(
        tmp_path,
        "import importlib\npkg = importlib.import_module('warmpkg')\nresult = [pkg.DONE, pkg.A]",
    )
    assert out["parked_inside"]
    assert out["result"] == [True, "a"]
    assert out["loader"] == out["spec_loader"] == "SourceFileLoader"
    assert out["thread_done"]


def test_a_submodule_is_imported_only_once_its_package_is_whole(tmp_path: Path) -> None:
    """Without the wait, warmpkg.b would run inside the half-imported warmpkg, which a
    package importing its submodules turns into 'partially initialized module' errors."""
    out = run(tmp_path, "import warmpkg.b\nresult = warmpkg.b.PARENT_DONE")
    assert out["parked_inside"]
    assert out["result"] is True
    assert out["thread_done"]


def test_the_wait_is_an_audit_hook_not_a_wrapped_import(tmp_path: Path) -> None:
    """``__import__`` called as a function waits too, and stays Python's own: a wrapper
    put a frame under every import, and a cell's ``import pandas`` during the warm-up
    made 2,697 mmap and munmap calls against 434 (docs/design.md, fact 42)."""
    out = run(tmp_path, "__import__('warmpkg.b')\nresult = sys.modules['warmpkg.b'].PARENT_DONE")
    assert out["parked_inside"]
    assert out["import_untouched"] is True
    assert out["result"] is True
    assert out["thread_done"]


def test_import_of_a_finished_submodule_returns_its_package_whole(tmp_path: Path) -> None:
    """``warmpkg.a`` is done, ``warmpkg`` parked at ``warmpkg.later``: no "import" event,
    and Python itself waits for the package ``import warmpkg.a`` returns; ``from
    warmpkg.a import A`` gets A at once (the module docstring's caveat)."""
    out = run(
        tmp_path,
        """
        from warmpkg.a import A
        early = hasattr(sys.modules["warmpkg"], "DONE")
        import warmpkg.a
        result = [A, early, warmpkg.DONE]
        """,
        park_at="warmpkg.later",
    )
    assert out["parked_inside"]
    assert out["result"] == ["a", False, True]
    assert out["thread_done"]


def test_a_gate_after_the_first_uses_the_same_hook(tmp_path: Path) -> None:
    """The audit hook stays for good: a second gate in the process (a warm-up after
    %unload_ext and %load_ext) is seen by it, and a finished one no more."""
    script = textwrap.dedent(
        """
        import sys, threading
        from amplifier_jupyter._ipython import import_gate

        first = import_gate.ImportGate(lambda: True, lambda t: None)
        assert first.install(threading.get_ident())
        first.uninstall()
        second = import_gate.ImportGate(lambda: True, lambda t: None)
        assert second.install(threading.get_ident())
        assert import_gate._STATE.gate is second
        # Only one gate at a time.
        assert not import_gate.ImportGate(lambda: True, lambda t: None).install(0)
        second.uninstall()
        assert import_gate._STATE.gate is None
        print(import_gate._STATE.added)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=4 * DEADLINE
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"]


def test_no_gate_when_the_audit_hook_is_refused(tmp_path: Path) -> None:
    """An earlier audit hook may refuse new ones (``sys.addaudithook`` then says
    nothing): install says so, and gates nothing."""
    script = textwrap.dedent(
        """
        import sys, threading

        def refuse(event, args):
            if event == "sys.addaudithook":
                raise RuntimeError("no more hooks")

        sys.addaudithook(refuse)
        from amplifier_jupyter._ipython import import_gate

        gate = import_gate.ImportGate(lambda: True, lambda t: None)
        print(gate.install(threading.get_ident()), gate._finder in sys.meta_path)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=4 * DEADLINE
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_the_parked_thread_does_not_go_on_by_itself(tmp_path: Path) -> None:
    """While the gate is closed and nobody waits, the package stays as it was."""
    out = run(
        tmp_path,
        "time.sleep(0.5)\nresult = 'warmpkg.leaf' in sys.modules\nopen_.set()",
    )
    assert out["parked_inside"]
    assert out["result"] is False
    assert out["thread_done"]
