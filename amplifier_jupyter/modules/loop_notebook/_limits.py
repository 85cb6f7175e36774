"""The provider as the context manager sees it, with the limits of the model a cell chose."""

from __future__ import annotations

from typing import Any


class _ModelLimits:
    """The provider, with the context window and output limit of one model.

    A cell may ask for another model than the provider's (``--model``); the
    conversation must fit that model's window, not the configured one's.
    """

    def __init__(self, provider: Any, info: Any) -> None:
        self._provider = provider
        self.context_window = info.context_window
        self.max_output_tokens = info.max_output_tokens

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


def limits_for(provider: Any, model: str | None) -> Any:
    """``provider``, or a view of it with ``model``'s limits when the cell chose another."""
    if not model or model == getattr(provider, "model", None):
        return provider
    model_info = getattr(provider, "get_model_info", None)
    if model_info is None:
        return provider
    try:
        info = model_info(model)
    except Exception:  # a provider that knows no limits for it: budget as configured
        return provider
    if not getattr(info, "context_window", None) or not getattr(info, "max_output_tokens", None):
        return provider
    return _ModelLimits(provider, info)
