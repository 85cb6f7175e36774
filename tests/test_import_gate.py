"""The import gate on its own, in a fresh interpreter each (it changes the import system):
a thread importing a package parks between modules while the gate is closed, and another
thread's import never waits for it in vain nor runs inside a half-imported package."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from waiting import DEADLINE

PACKAGE = {
    "__init__.py": "from warmpkg.a import A\nDONE = True\n",
    "a.py": "import warmpkg.leaf\nA = 'a'\n",
    "leaf.py": "LEAF = 1\n",
    # Records whether its package was whole when it ran.
    "b.py": "import sys\nPARENT_DONE = getattr(sys.modules['warmpkg'], 'DONE', False)\n",
}

SCRIPT = """
import json, sys, threading, time
from amplifier_jupyter._ipython.import_gate import ImportGate

open_ = threading.Event()
gate = ImportGate(open_.is_set, open_.wait)

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
while "warmpkg" not in sys.modules:  # the package's module exists before its body runs
    assert time.monotonic() < deadline, "the thread never reached the package"
    time.sleep(0.01)
time.sleep(0.2)  # parked by now, if it parks
parked_inside = "warmpkg.a" not in sys.modules and not hasattr(sys.modules["warmpkg"], "DONE")
{main}
thread.join(30)
import warmpkg
print(json.dumps({{
    "parked_inside": parked_inside,
    "result": result,
    "loader": type(warmpkg.__loader__).__name__,
    "spec_loader": type(warmpkg.__spec__.loader).__name__,
    "thread_done": not thread.is_alive(),
}}))
"""


def run(tmp_path: Path, main: str) -> dict:
    folder = tmp_path / "warmpkg"
    folder.mkdir()
    for name, text in PACKAGE.items():
        (folder / name).write_text(text)
    code = SCRIPT.format(main=textwrap.dedent(main))
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


def test_the_parked_thread_does_not_go_on_by_itself(tmp_path: Path) -> None:
    """While the gate is closed and nobody waits, the package stays as it was."""
    out = run(
        tmp_path,
        "time.sleep(0.5)\nresult = 'warmpkg.leaf' in sys.modules\nopen_.set()",
    )
    assert out["parked_inside"]
    assert out["result"] is False
    assert out["thread_done"]
