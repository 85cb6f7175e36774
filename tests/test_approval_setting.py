"""The approval policy a kernel starts with, from ``AMPLIFIER_JUPYTER_APPROVAL`` (a hub's
default for every user: README "For JupyterHub administrators"), in real kernels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kernel_harness import Kernel, offline_env, ok

from amplifier_jupyter.modules.hooks_notebook_approval import APPROVAL_ENV, parse_setting


def start(tmp_path: Path, value: str) -> Kernel:
    return Kernel(env=offline_env(**{APPROVAL_ENV: value}), cwd=str(tmp_path)).start()


def python_call_plan(code: str) -> str:
    """A plan literal: the scripted provider calls the python tool with ``code``, then ends."""
    call = {"tool_calls": [{"id": "call-1", "name": "python", "input": {"code": code}}]}
    return json.dumps(
        {
            "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
            "providers": [{"module": "provider-scripted", "config": {"script": [call, "Done."]}}],
            "tools": [{"module": "tool-python"}],
        }
    )


def test_a_kernel_starts_with_the_environment_s_policy_and_applies_it(tmp_path: Path) -> None:
    kernel = start(tmp_path, "allow, python=deny, timeout=30")
    try:
        loaded = ok(kernel, "%load_ext amplifier_jupyter")
        assert loaded.stderr == "" and loaded.stdout == ""
        shown = ok(kernel, "%amplifier approve").stdout
        assert shown == "amplifier: approval: default allow · python deny · timeout 30s\n"
        ok(kernel, "%amplifier config " + python_call_plan("ran = True"))
        result = ok(kernel, "%%amplifier\nRun it.")
        assert result.markdown == ["Done."], result.stdout + result.stderr
        assert ok(kernel, "print('ran' in dir())").stdout == "False\n"
        # The user's own setting still wins for the rest of the kernel's life.
        changed = ok(kernel, "%amplifier approve ask python").stdout
        assert "python ask" in changed
    finally:
        kernel.shutdown()


def test_a_value_that_does_not_parse_gives_one_line_and_the_default(tmp_path: Path) -> None:
    kernel = start(tmp_path, "auto,python=maybe")
    try:
        line = (
            f"amplifier: {APPROVAL_ENV}='auto,python=maybe' is not applied: 'python=maybe': "
            "a tool's mode is ask, allow or deny; the default policy (auto) holds. Write it as "
            f"{APPROVAL_ENV}=auto,python=ask,timeout=60\n"
        )
        assert ok(kernel, "%load_ext amplifier_jupyter").stderr == line
        # Shown again with the policy (an extension loaded at start prints to the log).
        shown = ok(kernel, "%amplifier approve")
        assert shown.stdout == "amplifier: approval: default auto · timeout 120s\n"
        assert shown.stderr == line
        assert "not applied" not in ok(kernel, "%amplifier status").stderr
    finally:
        kernel.shutdown()


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("", "default auto · timeout 120s"),
        ("deny", "default deny · timeout 120s"),
        (" ask , python = allow ", "default ask · python allow · timeout 120s"),
        ("python=ask,timeout=0", "default auto · python ask · timeout 0s"),
        # A tool named timeout is a tool: its value is a mode, not seconds.
        ("timeout=deny", "default auto · timeout deny · timeout 120s"),
    ],
)
def test_the_setting_s_parts(value: str, described: str) -> None:
    assert parse_setting(value).describe() == described


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("maybe", "'maybe' is not auto, ask, allow or deny"),
        ("ask,deny", "two defaults ('ask' and 'deny')"),
        ("=ask", "'=ask' names no tool"),
        ("timeout=-1", "timeout='-1' is not a number of seconds"),
        ("python=auto", "'python=auto': a tool's mode is ask, allow or deny"),
    ],
)
def test_what_does_not_parse_says_why(value: str, why: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_setting(value)
    assert str(raised.value) == why
