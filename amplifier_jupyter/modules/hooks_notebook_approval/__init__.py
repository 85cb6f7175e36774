"""``hooks-notebook-approval``: the notebook's approval policy, enforced for any orchestrator.

Which tool calls run, which ask first and which are refused (``%amplifier
approve``), as a ``tool:pre`` hook (``_hook.py``): it asks the session's approval
system itself, so it works under every orchestrator that applies hook results
(``loop-notebook``, upstream ``loop-basic`` and ``loop-streaming``), answers the
questions of hooks that ask through ``approval.register_provider``
(``hooks-approval``), and refuses the tool calls of an orchestrator that does
not apply hook results. Amplifier's rule is mechanism in the kernel, policy in
modules: the policy lives here, in no orchestrator.

The notebook host installs it on every session it creates
(:func:`install_approvals`), so it is there without being in the plan. A plan may
mount it too, for any other host::

    {"module": "hooks-notebook-approval",
     "config": {"default": "auto", "tools": {"python": "ask"}, "timeout": 120}}

``default``: ``auto`` (read-only tools run, others ask), ``ask``, ``allow`` or
``deny``; ``tools``: a mode per tool name; ``timeout``: seconds a question
waits before it is denied. Where the host installed it already, the host's
policy holds and a plan's config for it is not used (one line says so).
"""

from __future__ import annotations

from typing import Any

from ._hook import (
    HOOK_CAPABILITY,
    HOOK_NAME,
    ApprovalHook,
    GatedTool,
    NotebookApprovalProvider,
    describe_approval,
)
from ._policy import (
    APPROVAL_OPTIONS,
    DEFAULT_TIMEOUT,
    UPSTREAM_READ_ONLY,
    ApprovalPolicy,
    ask,
    describe_call,
    is_read_only,
)
from ._setting import APPROVAL_ENV, parse_setting, policy_from_environment

__amplifier_module_type__ = "hook"
__all__ = [
    "APPROVAL_ENV",
    "APPROVAL_OPTIONS",
    "DEFAULT_TIMEOUT",
    "HOOK_NAME",
    "UPSTREAM_READ_ONLY",
    "ApprovalHook",
    "ApprovalPolicy",
    "GatedTool",
    "NotebookApprovalProvider",
    "ask",
    "describe_approval",
    "describe_call",
    "install_approvals",
    "is_read_only",
    "mount",
    "notebook_policy",
    "parse_setting",
    "policy_from_environment",
    "setting_problem",
]

_NOTEBOOK_POLICY: ApprovalPolicy | None = None
# Why AMPLIFIER_JUPYTER_APPROVAL was not applied (shown at load and by %amplifier approve).
_SETTING_LINE: str | None = None


def notebook_policy() -> ApprovalPolicy:
    """The process's one notebook policy (what ``%amplifier approve`` sets): the kernel's
    sessions and the plain sessions given it with ``ApprovalSystem.watch`` share it. It
    starts as ``AMPLIFIER_JUPYTER_APPROVAL`` says (``_setting.py``), else ``auto``."""
    global _NOTEBOOK_POLICY, _SETTING_LINE
    if _NOTEBOOK_POLICY is None:
        _NOTEBOOK_POLICY, _SETTING_LINE = policy_from_environment()
    return _NOTEBOOK_POLICY


def setting_problem() -> str | None:
    """The line saying why ``AMPLIFIER_JUPYTER_APPROVAL`` was not applied, or None."""
    notebook_policy()
    return _SETTING_LINE


HOST_POLICY_LINE = (
    "hooks-notebook-approval: the notebook's approval policy applies to this session "
    "(%amplifier approve); the plan's config for it is not used"
)


def install_approvals(
    coordinator: Any,
    policy: ApprovalPolicy,
    approval_system: Any = None,
    *,
    label: str | None = None,
) -> ApprovalHook:
    """What a notebook host does for each session it creates, before ``initialize()``.

    Registers the policy's ``tool:pre`` hook (asking through ``approval_system``,
    else the coordinator's), the capabilities ``approval.policy`` and
    ``approval.notebook_hook``; once the modules are mounted (the session's first
    event) it registers :class:`NotebookApprovalProvider` on
    ``approval.register_provider`` when a module offers it, and wraps the tools
    so that only calls the ``tool:pre`` chain cleared run. ``label``: a child
    session's name, shown with its questions. Installing twice returns the
    first hook.
    """
    existing = coordinator.get_capability(HOOK_CAPABILITY)
    if isinstance(existing, ApprovalHook):
        return existing
    return ApprovalHook(coordinator, policy, approval_system, label=label).install()


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> Any:
    """Mount the hook from a plan; a host's own installation wins."""
    if coordinator.get_capability(HOOK_CAPABILITY) is not None:
        display = getattr(coordinator, "display_system", None)
        if config and display is not None:
            display.show_message(HOST_POLICY_LINE, "warning", "approval")
        return None
    policy = coordinator.get_capability("approval.policy")
    if not isinstance(policy, ApprovalPolicy):
        policy = ApprovalPolicy.from_config(config)
    hook = ApprovalHook(coordinator, policy, provider=False).install()
    return hook.cleanup
