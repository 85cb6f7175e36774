"""``%amplifier approve`` and ``%amplifier wait``: approval policy and background runs."""

from __future__ import annotations

import asyncio
from typing import Any

from amplifier_jupyter._ipython.interrupts import interrupt_stops
from amplifier_jupyter.cell.options import split_args
from amplifier_jupyter.errors import AmplifierUserError, one_line
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.ui.view import complain, say

APPROVE_USAGE = "usage: %amplifier approve [ask|allow|deny|auto] [TOOL ...] [--timeout SECONDS]"
USAGE = "approve [ask|allow|deny] [TOOL ...] [--timeout S] | wait"
HELP = """\
Approvals and background runs
  %amplifier approve ask|allow|deny|auto [TOOL ...]
                                          the approval policy for all tools or the named ones
                                          (default auto: read-only tools run, others ask;
                                          notebook_insert, notebook_edit and notebook_run show
                                          the change: Accept, Accept and run, Reject)
  %amplifier approve --timeout SECONDS    how long a question waits before it is denied
  %amplifier approve                      show the policy
                                          (a kernel starts with AMPLIFIER_JUPYTER_APPROVAL from
                                          its environment: auto,python=ask,timeout=60)
  %amplifier wait                         await the background run (%%amplifier --background)
                                          and say how it ended"""


def _parse_approve(rest: str) -> tuple[str | None, list[str], float | None]:
    """``(mode, tools, timeout)`` from the words after ``approve``."""
    words = split_args(rest, APPROVE_USAGE)
    # --timeout=SECONDS, the spelling %%amplifier's options also accept, is --timeout SECONDS.
    words = [
        part
        for word in words
        for part in (word.split("=", 1) if word.startswith("--timeout=") else [word])
    ]
    timeout: float | None = None
    if "--timeout" in words:
        at = words.index("--timeout")
        if at + 1 >= len(words):
            raise AmplifierUserError(f"--timeout needs a number of seconds. {APPROVE_USAGE}")
        value = words[at + 1]
        try:
            timeout = float(value)
        except ValueError:
            raise AmplifierUserError(
                f"--timeout needs a number of seconds, not {value!r}. {APPROVE_USAGE}"
            ) from None
        if not timeout > 0 or timeout == float("inf"):
            raise AmplifierUserError(f"--timeout must be more than 0 seconds. {APPROVE_USAGE}")
        del words[at : at + 2]
    unknown = [w for w in words if w.startswith("-")]
    if unknown:
        raise AmplifierUserError(f"unknown option {unknown[0]}. {APPROVE_USAGE}")
    if not words:
        return None, [], timeout
    mode, tools = words[0].lower(), words[1:]
    if mode not in ("ask", "allow", "deny", "auto"):
        raise AmplifierUserError(
            f"the mode is ask, allow or deny (or auto), not {words[0]!r}. {APPROVE_USAGE}"
        )
    if mode == "auto" and tools:
        raise AmplifierUserError(f"auto is for all tools: name no tool. {APPROVE_USAGE}")
    return mode, tools, timeout


async def approve(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier approve [MODE] [TOOL ...] [--timeout SECONDS]``: set or show the policy."""
    mode, tools, timeout = _parse_approve(rest)
    policy = ks.approval_policy()
    if mode is not None:
        policy.set(mode, tools or None)
    if timeout is not None:
        policy.timeout = timeout
    say(f"approval: {policy.describe()}")
    if mode is None and timeout is None:
        # An extension loaded at the kernel's start printed it where nobody reads.
        from amplifier_jupyter.modules.hooks_notebook_approval import setting_problem

        problem = setting_problem()
        if problem is not None:
            complain(problem)


async def wait(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier wait``: await the background run and say how it ended."""
    task = ks.background_run
    if task is None:
        say("no background run to wait for")
        return
    if not task.done():
        # While waiting, this cell is the run's foreground: the interrupt stops it.
        with interrupt_stops(ks.stop):
            await asyncio.wait([task])
    ks.forget_background_run()
    if task.cancelled():
        complain("the background run was cancelled")
        return
    error = task.exception()
    if error is not None:
        complain(one_line(error))
        return
    outcome = task.result()
    if outcome == "finished":
        say("the background run finished")
    elif outcome == "stopped":
        say("the background run was stopped")
    else:
        complain(str(outcome))


COMMANDS = {
    "approve": approve,
    "wait": wait,
}
