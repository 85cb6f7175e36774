"""``loop-notebook``: the agent loop used by amplifier-jupyter, an ordinary orchestrator.

One turn: the prompt goes to the provider; while the model asks for tools,
each call passes the approval policy, runs, and its result goes back; the
turn ends with the model's text. It emits the standard events
(``execution:start``, ``prompt:submit``, ``provider:request``,
``provider:response``, ``tool:pre``, ``tool:post``, ``tool:error``,
``approval:*``, ``orchestrator:complete``, ``execution:end``), applies hook
results with ``coordinator.process_hook_result`` and stops at the next safe
point once ``coordinator.cancellation`` is set, leaving every tool call with
a result so the conversation stays valid.

Config: ``max_iterations`` (default 25 model calls per turn),
``default_provider`` (mount name), ``approval`` (``{"default": "auto"|"ask"|
"allow"|"deny", "tools": {name: mode}, "timeout": seconds}``; a host may
instead register the capability ``approval.policy`` with an
:class:`ApprovalPolicy`).
"""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.modules.hooks_notebook_approval import APPROVAL_OPTIONS, ApprovalPolicy

from ._loop import NotebookLoop

__amplifier_module_type__ = "orchestrator"
__all__ = ["APPROVAL_OPTIONS", "ApprovalPolicy", "NotebookLoop", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the loop at the ``orchestrator`` mount point."""
    await coordinator.mount("orchestrator", NotebookLoop(config or {}))
