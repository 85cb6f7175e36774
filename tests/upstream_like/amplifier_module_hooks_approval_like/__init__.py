"""``hooks-approval-like``: a test hook that behaves as Amplifier's own ``hooks-approval``.

Read from ``microsoft/amplifier-module-hooks-approval`` (``__init__.py``,
``approval_hook.py``, ``config.py`` at commit 4ee093e, read 2026-12-01) and
measured in a kernel (docs/design.md, fact 24, issue 13: with no provider registered it
denies every call and ``No approval provider registered, auto-denying`` shows in
the cell). As upstream:

* ``mount`` registers a ``tool:pre`` handler named ``approval_hook`` at priority
  -10 (it runs before handlers of the default priority, and its ``deny`` stops
  the chain, so later ``tool:pre`` handlers never see a denied call) and offers
  the capability ``approval.register_provider``: a host calls it with an
  ``amplifier_core.interfaces.ApprovalProvider`` (amplifier-app-cli does so right
  after the session initializes). The last one registered is used.
* Which calls ask: a tool listed in ``coordinator.session_state
  ["require_approval_tools"]`` (when the coordinator has one); unless
  ``policy_driven_only``, a tool with ``tools: {<name>: {require_approval:
  true}}`` in the config, ``bash`` always, and the names ``write``, ``edit``,
  ``execute`` and ``run``. Not ``read_file``, ``write_file`` or ``edit_file``.
* ``approval:required`` ``{tool_name, action, risk_level}`` first; then the
  ``rules`` (default: ``ls*``, ``pwd``, ``echo*`` auto-approved) may approve or
  deny a ``bash`` command by its start (a glob matched from the first
  character), else the provider is asked with an ``ApprovalRequest``
  (``tool_name``, ``action`` = ``"Execute: <command>"`` for bash or
  ``"Execute <tool>"``, ``details`` = the tool input, ``risk_level`` ``high`` for
  bash else ``medium``, ``timeout`` = config ``default_timeout``, None by
  default, which waits for ever).
* Approved: ``approval:granted`` ``{tool_name, reason}`` and ``continue``
  (``remember`` in the answer changes nothing). Denied: ``approval:denied`` and
  ``deny`` with the answer's reason (``User denied approval`` without one). No
  provider: a WARNING on the logger ``amplifier_module_hooks_approval.approval_hook``
  (upstream's name, so a host that routes that logger routes this one; with no
  logging configured Python prints it to stderr), then denied with reason
  ``No approval provider available``. A timeout gives ``default_action`` (config,
  default ``deny``); a provider that raises gives ``deny``.

Not modelled: the audit trail upstream appends to
``~/.amplifier/audit/approvals.jsonl`` (a test must not write into the home
folder), and a ``tool_obj`` in the event data (no upstream loop sends one).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from amplifier_core import ApprovalProvider, ApprovalRequest, ApprovalResponse, HookResult
from amplifier_core.events import APPROVAL_DENIED, APPROVAL_GRANTED, APPROVAL_REQUIRED, TOOL_PRE

__amplifier_module_type__ = "hook"
__all__ = ["ApprovalLikeHook", "mount"]

logger = logging.getLogger("amplifier_module_hooks_approval.approval_hook")

NO_PROVIDER_LINE = "No approval provider registered, auto-denying"
ALWAYS_ASK = ("write", "edit", "bash", "execute", "run")
DEFAULT_RULES = [
    {"pattern": "ls*", "action": "auto_approve"},
    {"pattern": "pwd", "action": "auto_approve"},
    {"pattern": "echo*", "action": "auto_approve"},
]


def _rule_matches(pattern: str, command: str) -> bool:
    """A rule's glob against a command: ``*`` is anything, matched from the start."""
    if "*" in pattern:
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    else:
        regex = f"{re.escape(pattern)}$"
    return re.match(regex, command, re.IGNORECASE) is not None


class ApprovalLikeHook:
    """The ``tool:pre`` handler and the provider slot (module docstring)."""

    def __init__(self, config: dict[str, Any], hooks: Any, coordinator: Any) -> None:
        self.config = config
        self.hooks = hooks
        self.coordinator = coordinator
        self.provider: ApprovalProvider | None = None
        self.rules = config.get("rules", DEFAULT_RULES)
        self.default_action = config.get("default_action", "deny")
        self.policy_driven_only = bool(config.get("policy_driven_only", False))

    def register_provider(self, provider: ApprovalProvider) -> None:
        """The ``approval.register_provider`` capability."""
        self.provider = provider

    def needs_approval(self, tool_name: str) -> bool:
        state = getattr(self.coordinator, "session_state", None)
        if state is not None and tool_name in state.get("require_approval_tools", set()):
            return True
        if self.policy_driven_only:
            return False
        tool_config = self.config.get("tools", {}).get(tool_name, {})
        return bool(tool_config.get("require_approval", False)) or tool_name in ALWAYS_ASK

    def auto_action(self, tool_name: str, tool_input: dict[str, Any]) -> str | None:
        """``auto_approve`` / ``auto_deny`` from the first rule matching a bash command."""
        if tool_name != "bash":
            return None
        command = str(tool_input.get("command", ""))
        for rule in self.rules:
            pattern, action = rule.get("pattern"), rule.get("action")
            if pattern and action and _rule_matches(pattern, command):
                return action
        return None

    async def handle_tool_pre(self, event: str, data: dict[str, Any]) -> HookResult:
        tool_name = data.get("tool_name", "unknown")
        tool_input = data.get("tool_input") or {}
        if not self.needs_approval(tool_name):
            return HookResult(action="continue")
        request = ApprovalRequest(
            tool_name=tool_name,
            action=(
                f"Execute: {tool_input.get('command', 'unknown command')}"
                if tool_name == "bash"
                else f"Execute {tool_name}"
            ),
            details=tool_input,
            risk_level="high" if tool_name == "bash" else "medium",
            timeout=self.config.get("default_timeout"),
        )
        await self.hooks.emit(
            APPROVAL_REQUIRED,
            {"tool_name": tool_name, "action": request.action, "risk_level": request.risk_level},
        )
        action = self.auto_action(tool_name, tool_input)
        if action == "auto_approve":
            return await self._granted(tool_name, "Auto-approved by rule")
        if action:
            return await self._denied(tool_name, "Auto-denied by rule", "Auto-denied by rule")
        try:
            response = await self._ask(request)
        except TimeoutError:
            reason = "Approval request timed out"
            await self.hooks.emit(APPROVAL_DENIED, {"tool_name": tool_name, "reason": reason})
            return HookResult(action=self.default_action, reason=reason)
        except Exception as error:
            logger.error("Approval provider error: %s", error)
            return await self._denied(
                tool_name, f"Provider error: {error}", f"Approval system error: {error}"
            )
        if response.approved:
            return await self._granted(tool_name, response.reason or "User approved")
        return await self._denied(
            tool_name, response.reason or "User denied", response.reason or "User denied approval"
        )

    async def _ask(self, request: ApprovalRequest) -> ApprovalResponse:
        if self.provider is None:
            logger.warning(NO_PROVIDER_LINE)
            return ApprovalResponse(approved=False, reason="No approval provider available")
        if request.timeout is None:
            return await self.provider.request_approval(request)
        return await asyncio.wait_for(self.provider.request_approval(request), request.timeout)

    async def _granted(self, tool_name: str, reason: str) -> HookResult:
        await self.hooks.emit(APPROVAL_GRANTED, {"tool_name": tool_name, "reason": reason})
        return HookResult(action="continue")

    async def _denied(self, tool_name: str, event_reason: str, reason: str) -> HookResult:
        await self.hooks.emit(APPROVAL_DENIED, {"tool_name": tool_name, "reason": event_reason})
        return HookResult(action="deny", reason=reason)


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> Callable[[], None]:
    """Register the hook and the ``approval.register_provider`` capability."""
    hooks = coordinator.hooks
    hook = ApprovalLikeHook(config or {}, hooks=hooks, coordinator=coordinator)
    unregister = hooks.register(TOOL_PRE, hook.handle_tool_pre, priority=-10, name="approval_hook")
    coordinator.register_capability("approval.register_provider", hook.register_provider)

    def cleanup() -> None:
        unregister()

    return cleanup
