"""Emitting an event and applying what the hooks answered, as loop-basic does."""

from __future__ import annotations

from typing import Any

from amplifier_core import HookResult
from amplifier_core.events import APPROVAL_DENIED, APPROVAL_GRANTED

from amplifier_jupyter.modules._emit import emit


class HookCalls:
    """The session's hooks and coordinator, as one turn of the loop uses them."""

    def __init__(self, hooks: Any, coordinator: Any) -> None:
        self.hooks = hooks
        self.coordinator = coordinator

    async def emit(self, event: str, data: dict[str, Any]) -> Any:
        """Emit ``event`` (the short way when only the host listens: ``modules/_emit.py``);
        the hooks' answer is not applied."""
        return await emit(self.coordinator, event, data, self.hooks)

    async def applied(self, event: str, data: dict[str, Any], hook_name: str) -> HookResult:
        """Emit ``event`` and apply the answer (see :meth:`emitted`); the applied result."""
        _, applied = await self.emitted(event, data, hook_name)
        return applied

    async def emitted(
        self, event: str, data: dict[str, Any], hook_name: str
    ) -> tuple[HookResult, HookResult]:
        """Emit ``event``; ``(what the hooks answered, that answer once applied)``.

        ``coordinator.process_hook_result`` applies it (asks a hook's question,
        stores a non-ephemeral injection, shows a user message). The kernel emits
        no approval events for a hook's question (docs/design.md, fact 8), so this
        says how it was decided with ``approval:granted`` / ``approval:denied``.
        """
        raw = await self.emit(event, data)
        if raw is None:
            raw = HookResult()
        if self.coordinator is None:
            return raw, raw
        applied = await self.coordinator.process_hook_result(raw, event, hook_name)
        if applied is None:
            applied = HookResult()
        if raw.action == "ask_user":
            granted = applied.action != "deny"
            await self.emit(
                APPROVAL_GRANTED if granted else APPROVAL_DENIED,
                {
                    "tool_name": data.get("tool_name"),
                    "decision": "allow" if granted else "deny",
                    "reason": applied.reason,
                    "prompt": raw.approval_prompt,
                    "source": "hook",
                },
            )
        return raw, applied
