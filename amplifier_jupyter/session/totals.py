"""Token and cost totals of a session, live or counted again from its transcript."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from amplifier_jupyter.events.model_calls import EVENTS as MODEL_CALL_EVENTS
from amplifier_jupyter.events.model_calls import ModelCalls
from amplifier_jupyter.events.usage import Usage, cost_text
from amplifier_jupyter.transcripts.store import load_events


class Totals:
    """Token and cost totals of a session: each model call once, from the contract's events."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self.cost_usd = Decimal("0")
        self.requests = 0
        self.unpriced = 0  # calls whose provider reported no cost
        self._calls = ModelCalls()

    def observe(self, event: str, data: dict[str, Any]) -> None:
        """Take one of the session's events (in order); count a model call it first reports."""
        if event in MODEL_CALL_EVENTS:
            usage = self._calls.first_report(event, data)
            if usage is not None:
                self.add(usage)

    def add(self, usage: Usage) -> None:
        """Add one model call's usage."""
        self.requests += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        if usage.cost_usd is None:
            self.unpriced += 1
        else:
            self.cost_usd += usage.cost_usd

    def describe(self) -> str:
        """``1,234 in · 56 out · $0.0123`` (cache counts when there are any; ``cost
        unknown`` for calls no provider priced)."""
        parts = [f"{self.input_tokens:,} in", f"{self.output_tokens:,} out"]
        if self.cache_read_tokens or self.cache_write_tokens:
            parts.append(f"{self.cache_read_tokens:,} cache read")
            parts.append(f"{self.cache_write_tokens:,} cache write")
        parts.append(cost_text(self.cost_usd, self.requests - self.unpriced, self.unpriced))
        return " · ".join(parts)


def totals_from_events(session_id: str) -> Totals:
    """The token and cost totals recorded in a transcript's events."""
    totals = Totals()
    for record in load_events(session_id):
        data = record.get("data")
        totals.observe(str(record.get("event")), data if isinstance(data, dict) else {})
    return totals
