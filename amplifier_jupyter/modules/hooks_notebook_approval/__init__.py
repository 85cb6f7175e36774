"""``hooks-notebook-approval``: the notebook's approval policy, as an ordinary module's home.

Which tool calls run, which ask first and which are refused (``%amplifier approve``), and
the asking itself through the session's approval system. Amplifier's rule is mechanism in
the kernel, policy in modules: the policy lives here, not in any orchestrator.
``loop-notebook`` applies it today; the hook that enforces it for every orchestrator
(``tool:pre``) is to live in this package too.
"""

from __future__ import annotations

from ._policy import APPROVAL_OPTIONS, DEFAULT_TIMEOUT, ApprovalPolicy, ask, describe_call

__all__ = ["APPROVAL_OPTIONS", "DEFAULT_TIMEOUT", "ApprovalPolicy", "ask", "describe_call"]
