"""The Python API: what ``import amplifier_jupyter`` offers, typed and visible, and that it
acts on the kernel's session in a real kernel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kernel_harness import Kernel

import amplifier_jupyter

PUBLIC = {
    "AmplifierUserError",
    "ApprovalSystem",
    "DisplaySystem",
    "add_listener",
    "approval_policy",
    "children",
    "get_session",
    "load_ipython_extension",
    "messages",
    "remove_listener",
    "resume",
    "scripted_plan",
    "set_plan",
    "unload_ipython_extension",
}


def test_the_public_names_are_listed_visible_and_resolve() -> None:
    assert set(amplifier_jupyter.__all__) == PUBLIC
    assert set(dir(amplifier_jupyter)) >= PUBLIC
    for name in PUBLIC:
        assert getattr(amplifier_jupyter, name) is not None, name


def test_the_package_is_marked_typed() -> None:
    assert (Path(amplifier_jupyter.__file__).parent / "py.typed").is_file()


def test_importing_the_package_imports_no_amplifier_core() -> None:
    code = "import sys, amplifier_jupyter; print('amplifier_core' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_api_drives_the_kernel_session(kernel: Kernel) -> None:
    """set_plan, add/remove_listener, messages, children and approval_policy, in a kernel."""
    plan = json.dumps(amplifier_jupyter.scripted_plan(["First answer.", "Child answer."]))
    setup = kernel.execute(
        "import amplifier_jupyter as aj\n"
        f"await aj.set_plan({plan})\n"
        "seen = []\n"
        "remove = aj.add_listener(lambda event, data: seen.append(event))\n"
        "aj.approval_policy().set('deny', ['python'])"
    )
    assert setup.ok, setup.error
    assert kernel.execute("%%amplifier\nHello?").ok
    check = kernel.execute(
        "remove()\n"
        "count = len(seen)\n"
        "messages = await aj.messages()\n"
        "print(sorted({'prompt:submit', 'orchestrator:complete'} - set(seen)))\n"
        "print([m['role'] for m in messages])\n"
        "print(aj.approval_policy().describe())\n"
        "print(dict(aj.children()))"
    )
    assert check.ok, check.error
    lines = check.stdout.splitlines()
    assert lines[0] == "[]"  # the listener saw the run's events
    assert lines[1] == "['user', 'assistant']"
    assert "python deny" in lines[2]
    assert lines[3] == "{}"
    assert kernel.execute("%%amplifier --child helper\nAnd you?").ok
    after = kernel.execute(
        "print(len(seen) == count)\n"  # removed: it heard nothing more
        "print(list(aj.children()), aj.children()['helper'].turns)\n"
        "print([m['role'] for m in await aj.messages('helper')])"
    )
    assert after.ok, after.error
    assert after.stdout.splitlines() == ["True", "['helper'] 1", "['user', 'assistant']"]


def test_messages_of_an_unknown_child_is_one_line(kernel: Kernel) -> None:
    result = kernel.execute("import amplifier_jupyter as aj\nawait aj.messages('nobody')")
    assert result.error is not None
    assert result.error["ename"] == "AmplifierUserError"
    assert "no child session called 'nobody'" in result.error["evalue"]
