"""The capability through which the host tells modules what the running cell chose
(``notebook.request_overrides``: its ``--model``), registered for each turn."""

from __future__ import annotations

from typing import Any

OVERRIDES = "notebook.request_overrides"


def chosen_model(coordinator: Any) -> str | None:
    """The model the running cell chose (``--model``), or None."""
    overrides = coordinator.get_capability(OVERRIDES) or {}
    return overrides.get("model") if isinstance(overrides, dict) else None
