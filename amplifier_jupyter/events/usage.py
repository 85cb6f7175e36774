"""The token usage of one model call, read from whatever form a hook receives it in.

A loop or provider may put ``usage`` in an event as a dict, as amplifier-core's
``Usage`` model, or as anything else; the kernel's hook registry hands a model
in event data to a Python hook as its ``str()``, e.g.
``input_tokens=11 output_tokens=7 total_tokens=18 ... cost_usd=Decimal('0.0001')``
(docs/design.md, fact 23). :func:`read_usage` reads all of them into one
:class:`Usage`, also with the Anthropic API's cache names and OpenAI's
``prompt_tokens`` / ``completion_tokens``; what it cannot read it returns as
``None``. A call no provider priced has ``cost_usd`` None, shown as "cost
unknown", never as $0.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

# ``name=value`` pairs of a pydantic model's str(): a value is Decimal('…'), '…' or a word.
_PAIR = re.compile(r"(\w+)=(Decimal\('([^']*)'\)|'[^']*'|\"[^\"]*\"|[^\s]+)")

# Our field, then the Anthropic API's own name for it (a provider's extra field).
_ALIASES = {
    "cache_read_tokens": ("cache_read_tokens", "cache_read_input_tokens"),
    "cache_write_tokens": ("cache_write_tokens", "cache_creation_input_tokens"),
}


@dataclass(frozen=True)
class Usage:
    """One call's tokens and cost; ``cost_usd`` is None when the provider priced nothing."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: Decimal | None = None

    @property
    def tokens_in(self) -> int:
        """Every input token: the API counts cache reads and writes apart from the rest."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens


def _fields(value: Any) -> dict[str, Any] | None:
    """``value`` as a mapping of its fields, or None."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                loaded = json.loads(text)
            except ValueError:
                return None
            return loaded if isinstance(loaded, dict) else None
        pairs: dict[str, Any] = {}
        for match in _PAIR.finditer(text):
            raw = match[3] if match[3] is not None else match[2].strip("'\"")
            pairs[match[1]] = None if raw == "None" else raw
        return pairs or None
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped = dump()
        return dumped if isinstance(dumped, dict) else None
    names = ("input_tokens", "output_tokens", "cost_usd", *_ALIASES["cache_read_tokens"])
    found = {name: getattr(value, name) for name in names if hasattr(value, name)}
    return found or None


def _count(fields: dict[str, Any], *names: str) -> int | None:
    for name in names:
        raw = fields.get(name)
        if raw in (None, ""):
            continue
        try:
            return int(Decimal(str(raw)))
        except (InvalidOperation, ValueError):
            return None
    return None


def _money(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def read_usage(value: Any, cost_usd: Any = None) -> Usage | None:
    """``value`` (a dict, a model, its ``str()``, JSON) as :class:`Usage`, or None.

    ``cost_usd`` is a cost given beside the usage (``llm:response`` may carry one),
    used when the usage itself has none. None when there is no token count to read.
    """
    if value is None or value == "":
        return None
    fields = _fields(value)
    if fields is None:
        return None
    input_tokens = _count(fields, "input_tokens")
    output_tokens = _count(fields, "output_tokens")
    cache_read = _count(fields, *_ALIASES["cache_read_tokens"])
    if input_tokens is None and output_tokens is None:
        # OpenAI's names: its prompt_tokens include the cached ones.
        input_tokens = _count(fields, "prompt_tokens")
        output_tokens = _count(fields, "completion_tokens")
        details = fields.get("prompt_tokens_details")
        cached = _count(details, "cached_tokens") if isinstance(details, dict) else None
        if input_tokens is not None and cached:
            input_tokens, cache_read = max(0, input_tokens - cached), cached
    if input_tokens is None and output_tokens is None:
        return None
    cost = _money(fields.get("cost_usd"))
    return Usage(
        input_tokens=input_tokens or 0,
        output_tokens=output_tokens or 0,
        cache_read_tokens=cache_read or 0,
        cache_write_tokens=_count(fields, *_ALIASES["cache_write_tokens"]) or 0,
        cost_usd=cost if cost is not None else _money(cost_usd),
    )


def cost_text(cost: Decimal, priced: int, unpriced: int) -> str:
    """``$0.0123``, or ``cost unknown`` for calls no provider priced (never a false $0)."""
    if not unpriced:
        return f"${cost:.4f}"
    if not priced:
        return "cost unknown"
    return f"${cost:.4f} + unknown for {unpriced} call{'s' if unpriced != 1 else ''}"


class UsageSum:
    """Model calls' usage added up: tokens, cost, and the calls no provider priced."""

    def __init__(self) -> None:
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self.cost_usd = Decimal("0")
        self.unpriced = 0

    def add(self, usage: Usage) -> None:
        """Add one model call's usage."""
        self.calls += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_tokens += usage.cache_read_tokens
        self.cache_write_tokens += usage.cache_write_tokens
        if usage.cost_usd is None:
            self.unpriced += 1
        else:
            self.cost_usd += usage.cost_usd

    @property
    def tokens_in(self) -> int:
        """Every input token of the calls, cache reads and writes included."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def cost_text(self) -> str:
        """The cost as :func:`cost_text` says it."""
        return cost_text(self.cost_usd, self.calls - self.unpriced, self.unpriced)
