"""Token and cost totals of a session, live or counted again from its transcript."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amplifier_jupyter.transcripts.store import load_events


class Totals:
    """Token and cost totals of a session, summed from ``provider:response`` usage."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self.cost_usd = Decimal("0")
        self.requests = 0

    def add(self, usage: dict[str, Any] | None) -> None:
        """Add one response's usage (a ``Usage`` dump)."""
        if not usage:
            return
        self.requests += 1
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        self.cache_read_tokens += int(usage.get("cache_read_tokens") or 0)
        self.cache_write_tokens += int(usage.get("cache_write_tokens") or 0)
        cost = usage.get("cost_usd")
        if cost not in (None, ""):
            self.cost_usd += Decimal(str(cost))

    def describe(self) -> str:
        """``1,234 in · 56 out · $0.0123`` (cache counts when there are any)."""
        parts = [f"{self.input_tokens:,} in", f"{self.output_tokens:,} out"]
        if self.cache_read_tokens or self.cache_write_tokens:
            parts.append(f"{self.cache_read_tokens:,} cache read")
            parts.append(f"{self.cache_write_tokens:,} cache write")
        parts.append(f"${self.cost_usd:.4f}")
        return " · ".join(parts)


def totals_from_events(session_id: str) -> Totals:
    """The token and cost totals recorded in a transcript's events."""
    totals = Totals()
    for record in load_events(session_id):
        if record.get("event") == "provider:response":
            totals.add((record.get("data") or {}).get("usage"))
    return totals
