"""``provider-scripted``: a deterministic, offline provider for tutorials and tests.

Its config holds a script of replies, used in order, one per model call::

    {"module": "provider-scripted", "config": {"script": [
        "Plain text reply.",
        {"text": "Let me look.", "tool_calls": [{"name": "variables", "input": {}}]},
        {"thinking": "The user wants...", "text": "Here you go."},
    ]}}

When the script runs out, ``when_exhausted`` decides: ``"echo"`` (default)
answers with the last user message, ``"repeat"`` repeats the last reply,
``"error"`` raises. Replies stream word by word through the same
``content_block:*`` events as a real provider (``stream: false`` turns that off;
``chunk_delay`` slows it down for demos), the words gathered into a
``content_block:delta`` per ``delta_interval`` (default 0.05 s; 0: one per word)
as provider-claude does. Each call is reported as the provider
contract asks, with ``llm:request`` and ``llm:response`` (its usage: token
estimates, cost 0).
"""

from __future__ import annotations

from typing import Any

from ._provider import ScriptedProvider, ScriptError

__amplifier_module_type__ = "provider"
__all__ = ["ScriptError", "ScriptedProvider", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the scripted provider as ``scripted``."""
    provider = ScriptedProvider(config or {}, coordinator=coordinator)
    await coordinator.mount("providers", provider, name=provider.name)
