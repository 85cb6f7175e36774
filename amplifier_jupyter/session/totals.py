"""Token and cost totals of a session, live or counted again from its transcript."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.events.model_calls import EVENTS as MODEL_CALL_EVENTS
from amplifier_jupyter.events.model_calls import ModelCalls
from amplifier_jupyter.events.usage import UsageSum
from amplifier_jupyter.transcripts.store import load_events


class Totals(UsageSum):
    """Token and cost totals of a session: each model call once, from the contract's events."""

    def __init__(self) -> None:
        super().__init__()
        self._calls = ModelCalls()

    @property
    def requests(self) -> int:
        """The model calls counted."""
        return self.calls

    def observe(self, event: str, data: dict[str, Any]) -> None:
        """Take one of the session's events (in order); count a model call it first reports."""
        if event in MODEL_CALL_EVENTS:
            usage = self._calls.first_report(event, data)
            if usage is not None:
                self.add(usage)

    def describe(self) -> str:
        """``1,234 in · 56 out · $0.0123`` (cache counts when there are any; ``cost
        unknown`` for calls no provider priced)."""
        parts = [f"{self.input_tokens:,} in", f"{self.output_tokens:,} out"]
        if self.cache_read_tokens or self.cache_write_tokens:
            parts.append(f"{self.cache_read_tokens:,} cache read")
            parts.append(f"{self.cache_write_tokens:,} cache write")
        parts.append(self.cost_text())
        return " · ".join(parts)


def totals_from_events(session_id: str) -> Totals:
    """The token and cost totals recorded in a transcript's events."""
    totals = Totals()
    for record in load_events(session_id):
        data = record.get("data")
        totals.observe(str(record.get("event")), data if isinstance(data, dict) else {})
    return totals
