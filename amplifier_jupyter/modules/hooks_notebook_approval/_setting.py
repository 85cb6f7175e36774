"""The approval policy a kernel starts with, from ``AMPLIFIER_JUPYTER_APPROVAL``.

For whoever runs the kernels (a JupyterHub's spawner, a batch job): every user's
kernel starts with this policy, and ``%amplifier approve`` changes it as usual. The
value is comma-separated parts, spaces ignored:

* ``auto``, ``ask``, ``allow`` or ``deny``: the default for every tool (at most once);
* ``TOOL=ask|allow|deny``: the mode of one tool (``python=ask``);
* ``timeout=SECONDS``: how long a question waits before it is denied.

``auto,python=ask,timeout=60``. Unset or empty: the default policy (``auto``). A
value that does not parse is not applied in part: the default policy holds, and
:func:`policy_from_environment` returns the one line that says why.
"""

from __future__ import annotations

import math
import os

from ._policy import MODES, ApprovalPolicy

APPROVAL_ENV = "AMPLIFIER_JUPYTER_APPROVAL"
EXAMPLE = f"{APPROVAL_ENV}=auto,python=ask,timeout=60"


def parse_setting(text: str) -> ApprovalPolicy:
    """The policy ``text`` describes; ``ValueError`` with what is wrong, if anything."""
    default: str | None = None
    tools: dict[str, str] = {}
    timeout: float | None = None
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, equals, value = (s.strip() for s in part.partition("="))
        if not equals:
            if name not in (*MODES, "auto"):
                raise ValueError(f"{name!r} is not auto, ask, allow or deny")
            if default is not None:
                raise ValueError(f"two defaults ({default!r} and {name!r})")
            default = name
        elif not name:
            raise ValueError(f"{part!r} names no tool")
        elif value in MODES:
            tools[name] = value
        elif name == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                timeout = -1.0
            if not math.isfinite(timeout) or timeout < 0:
                raise ValueError(f"timeout={value!r} is not a number of seconds") from None
        else:
            raise ValueError(f"{part!r}: a tool's mode is ask, allow or deny")
    policy = ApprovalPolicy(default=default or "auto", tools=tools)
    if timeout is not None:
        policy.timeout = timeout
    return policy


def policy_from_environment() -> tuple[ApprovalPolicy, str | None]:
    """The policy ``AMPLIFIER_JUPYTER_APPROVAL`` sets, and None; or, when the value does
    not parse, the default policy and one line saying what is wrong and what to write."""
    text = os.environ.get(APPROVAL_ENV, "")
    try:
        return parse_setting(text), None
    except ValueError as error:
        line = (
            f"{APPROVAL_ENV}={text!r} is not applied: {error}; the default policy (auto) "
            f"holds. Write it as {EXAMPLE}"
        )
        return ApprovalPolicy(), line
