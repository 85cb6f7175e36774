"""``loop-notebook``: the agent loop used by amplifier-jupyter, an ordinary orchestrator.

One turn: the prompt goes to the provider; while the model asks for tools,
each call goes through the ``tool:pre`` hooks, runs unless one denied it, and
its result goes back; the turn ends with the model's text. It emits the
standard events (``execution:start``, ``prompt:submit``, ``provider:request``,
``provider:response``, ``tool:pre``, ``tool:post``, ``tool:error``,
``orchestrator:complete``, ``execution:end``), applies hook results with
``coordinator.process_hook_result`` (and says how a hook's ``ask_user`` was
decided with ``approval:granted`` / ``approval:denied``), and stops at the next
safe point once ``coordinator.cancellation`` is set, leaving every tool call
with a result so the conversation stays valid.

It knows no approval policy: that is the hook module ``hooks-notebook-approval``,
which the notebook host installs on every session, as for any other loop.

Config: ``max_iterations`` (default 25 model calls per turn),
``default_provider`` (mount name).
"""

from __future__ import annotations

from typing import Any

from ._loop import NotebookLoop

__amplifier_module_type__ = "orchestrator"
__all__ = ["NotebookLoop", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the loop at the ``orchestrator`` mount point."""
    await coordinator.mount("orchestrator", NotebookLoop(config or {}))
