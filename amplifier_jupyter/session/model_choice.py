"""A cell's ``--model`` reaches any provider, under any loop.

The built-in loop reads the cell's model from the ``notebook.request_overrides``
capability; Amplifier's own loops do not know it. So the host wraps every
mounted provider (at each turn, as tools mounted later may be): when a cell
chose a model, the request a provider receives names it (``ChatRequest.model``,
which providers use before their configured model); otherwise the provider is
called as it is.

Also: ``max_cost_usd`` is provider-claude's own spending cap. In another
provider's config this package cannot enforce it (it knows no price of that
provider): :func:`cap_notices` says so, once per session.
"""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.modules._request_overrides import chosen_model

# Providers that read max_cost_usd themselves (the built-in one, and the id it stands in for).
CAPPED = frozenset({"provider-claude", "provider-anthropic"})


class ModelChoice:
    """A mounted provider whose ``complete()`` gets the cell's model, if one was chosen."""

    def __init__(self, provider: Any, coordinator: Any) -> None:
        self._provider = provider
        self._coordinator = coordinator

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._provider, attribute)

    def __repr__(self) -> str:
        return f"ModelChoice({self._provider!r})"

    @property
    def wrapped(self) -> Any:
        """The provider under this wrapper."""
        return self._provider

    async def complete(self, request: Any, **kwargs: Any) -> Any:
        model = chosen_model(self._coordinator)
        if model and getattr(request, "model", None) != model and hasattr(request, "model_copy"):
            request = request.model_copy(update={"model": model})
        return await self._provider.complete(request, **kwargs)


async def wrap_providers(coordinator: Any) -> None:
    """Wrap every mounted provider once (see the module docstring)."""
    for name, provider in list((coordinator.get("providers") or {}).items()):
        if not isinstance(provider, ModelChoice):
            await coordinator.mount("providers", ModelChoice(provider, coordinator), name=name)


def cap_notices(plan: dict[str, Any]) -> list[str]:
    """One line for each provider of ``plan`` with a ``max_cost_usd`` nobody can enforce."""
    lines = []
    for entry in plan.get("providers") or []:
        if not isinstance(entry, dict):
            continue
        module = entry.get("module")
        config = entry.get("config") or {}
        if module not in CAPPED and isinstance(config, dict) and "max_cost_usd" in config:
            lines.append(
                f"{module}: max_cost_usd is not enforced: this kernel does not know that "
                "provider's prices (only provider-claude's cap holds); watch %amplifier status"
            )
    return lines
