"""The one table of Claude models: limits, request rules, prices, deprecations.

Everything the provider knows about a model id lives here, so a price change
or a new model is a one-line edit. Prices are USD per million tokens, from
Anthropic's pricing page (checked on ``PRICES_CHECKED``); the 5-minute cache
write rate is used because that is the TTL of ``{"type": "ephemeral"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

PRICES_CHECKED = "2026-10-24"
DEFAULT_MODEL = "claude-sonnet-5-5"

ThinkingKind = Literal["budget", "adaptive", "always"]
_MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class Rates:
    """USD per million tokens for one price band."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal


@dataclass(frozen=True)
class ModelSpec:
    """What the provider needs to know about one model id.

    ``thinking`` says which thinking configuration the API accepts:
    ``budget`` (``{"type": "enabled", "budget_tokens": N}``), ``adaptive``
    (``{"type": "adaptive"}``, the model may also think by default) or
    ``always`` (adaptive and cannot be turned off). ``sampling`` is False for
    models that answer 400 to a non-default ``temperature``;
    ``forced_tool_choice`` is False for models that reject ``tool_choice``
    ``any``/``tool``. ``thinking_off`` is what an explicit ``thinking: false``
    sends (None: leave ``thinking`` out).
    """

    id: str
    display_name: str
    family: str
    context_window: int
    max_output_tokens: int
    rates: Rates
    thinking: ThinkingKind = "adaptive"
    sampling: bool = False
    forced_tool_choice: bool = True
    thinking_off: str | None = None
    # A prompt above this many input tokens bills every token of the request
    # at ``long_rates`` (Haiku 5.5's long-prompt band).
    long_threshold: int | None = None
    long_rates: Rates | None = None
    deprecated_until: str | None = None
    current: bool = False


def _r(inp: str, out: str, write: str, read: str) -> Rates:
    return Rates(Decimal(inp), Decimal(out), Decimal(write), Decimal(read))


_M = 1_000_000
_K = 1_000

MODELS: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (
        # Current models.
        ModelSpec(
            "claude-sonnet-5-5",
            "Claude Sonnet 5.5",
            "sonnet",
            _M,
            128 * _K,
            _r("2", "10", "2.50", "0.10"),
            forced_tool_choice=False,
            thinking_off="between_tools",
            current=True,
        ),
        ModelSpec(
            "claude-opus-5-5",
            "Claude Opus 5.5",
            "opus",
            _M,
            128 * _K,
            _r("4", "20", "5", "0.20"),
            thinking="always",
            forced_tool_choice=False,
            current=True,
        ),
        ModelSpec(
            "claude-haiku-5-5",
            "Claude Haiku 5.5",
            "haiku",
            _M,
            128 * _K,
            _r("0.10", "0.50", "0.125", "0.01"),
            forced_tool_choice=False,
            long_threshold=100_000,
            long_rates=_r("0.50", "2.50", "0.625", "0.05"),
            current=True,
        ),
        ModelSpec(
            "claude-fable-5-1",
            "Claude Fable 5.1",
            "fable",
            _M,
            128 * _K,
            _r("10", "50", "12.50", "0.25"),
            thinking="always",
            current=True,
        ),
        # Older models that still answer.
        ModelSpec(
            "claude-fable-5",
            "Claude Fable 5",
            "fable",
            _M,
            128 * _K,
            _r("10", "50", "12.50", "1"),
            thinking="always",
        ),
        ModelSpec(
            "claude-sonnet-5",
            "Claude Sonnet 5",
            "sonnet",
            _M,
            128 * _K,
            _r("2", "10", "2.50", "0.20"),
            thinking_off="disabled",
        ),
        ModelSpec(
            "claude-opus-5", "Claude Opus 5", "opus", _M, 128 * _K, _r("5", "25", "6.25", "0.50")
        ),
        ModelSpec(
            "claude-opus-4-8",
            "Claude Opus 4.8",
            "opus",
            _M,
            128 * _K,
            _r("5", "25", "6.25", "0.50"),
        ),
        ModelSpec(
            "claude-opus-4-7",
            "Claude Opus 4.7",
            "opus",
            _M,
            128 * _K,
            _r("5", "25", "6.25", "0.50"),
        ),
        ModelSpec(
            "claude-opus-4-6",
            "Claude Opus 4.6",
            "opus",
            _M,
            128 * _K,
            _r("5", "25", "6.25", "0.50"),
            sampling=True,
            thinking_off="disabled",
        ),
        ModelSpec(
            "claude-sonnet-4-6",
            "Claude Sonnet 4.6",
            "sonnet",
            _M,
            64 * _K,
            _r("3", "15", "3.75", "0.30"),
            sampling=True,
            thinking_off="disabled",
        ),
        ModelSpec(
            "claude-haiku-4-5",
            "Claude Haiku 4.5",
            "haiku",
            200 * _K,
            64 * _K,
            _r("1", "5", "1.25", "0.10"),
            thinking="budget",
            sampling=True,
        ),
        # Deprecated: still served until the date, with a warning.
        ModelSpec(
            "claude-sonnet-4-5",
            "Claude Sonnet 4.5",
            "sonnet",
            200 * _K,
            64 * _K,
            _r("3", "15", "3.75", "0.30"),
            thinking="budget",
            sampling=True,
            deprecated_until="November 30th, 2026",
        ),
        ModelSpec(
            "claude-opus-4-5",
            "Claude Opus 4.5",
            "opus",
            200 * _K,
            64 * _K,
            _r("5", "25", "6.25", "0.50"),
            thinking="budget",
            sampling=True,
            deprecated_until="January 22nd, 2027",
        ),
    )
}

# The id to suggest for each family when a model is deprecated or retired.
CURRENT_BY_FAMILY = {
    "sonnet": "claude-sonnet-5-5",
    "opus": "claude-opus-5-5",
    "haiku": "claude-haiku-5-5",
    "fable": "claude-fable-5-1",
    "mythos": "claude-fable-5-1",
}

# Ids the API no longer serves (it answers 404 not_found_error), with the
# current id to use instead. Other retired ids are matched by family.
RETIRED_MODELS: dict[str, str] = {
    "claude-3-haiku-20240307": "claude-haiku-5-5",
    "claude-3-5-haiku-20241022": "claude-haiku-5-5",
    "claude-3-5-sonnet-20240620": "claude-sonnet-5-5",
    "claude-3-5-sonnet-20241022": "claude-sonnet-5-5",
    "claude-3-7-sonnet-20250219": "claude-sonnet-5-5",
    "claude-3-opus-20240229": "claude-opus-5-5",
    "claude-sonnet-4-20250514": "claude-sonnet-5-5",
    "claude-opus-4-20250514": "claude-opus-5-5",
    "claude-opus-4-1-20250805": "claude-opus-5-5",
    "claude-mythos-preview": "claude-fable-5-1",
}

_DATED = re.compile(r"^(?P<base>.+?)(?:-\d{8}|@\d{8}|-latest)$")
_VERSION = re.compile(r"claude-(?P<family>[a-z]+)-(?P<major>\d+)(?:-(?P<minor>\d))?(?:$|-)")


def canonical_id(model: str) -> str:
    """``claude-haiku-4-5-20251001`` -> ``claude-haiku-4-5`` (dated snapshots share a row)."""
    model = model.strip().lower()
    match = _DATED.match(model)
    return match.group("base") if match else model


def family_of(model: str) -> str | None:
    """``sonnet``, ``opus``, ``haiku``, ``fable`` ... or None for a non-Claude id."""
    match = _VERSION.search(model.lower())
    if match:
        return match.group("family")
    for family in CURRENT_BY_FAMILY:
        if family in model.lower():
            return family
    return None


def _guess(model: str) -> ModelSpec | None:
    """A spec for an id the table does not list, from its family and version.

    Priced like the family's current model, with the request rules of its
    generation: 4.7 and later take adaptive thinking and no temperature.
    """
    family = family_of(model)
    if family is None or family not in CURRENT_BY_FAMILY:
        return None
    base = MODELS[CURRENT_BY_FAMILY[family]]
    match = _VERSION.search(model.lower())
    version = (int(match.group("major")), int(match.group("minor") or 0)) if match else (9, 9)
    modern = version >= (4, 7)
    return ModelSpec(
        model,
        model,
        family,
        base.context_window if modern else 200 * _K,
        base.max_output_tokens if modern else 64 * _K,
        base.rates,
        thinking="adaptive" if modern else "budget",
        sampling=not modern,
        forced_tool_choice=not modern or base.forced_tool_choice,
        long_threshold=base.long_threshold,
        long_rates=base.long_rates,
    )


def model_spec(model: str) -> ModelSpec | None:
    """The spec of a model id (dated ids included), a guess for unknown Claude ids, else None."""
    return MODELS.get(canonical_id(model)) or _guess(canonical_id(model))


def replacement_for(model: str) -> str:
    """The current id to use instead of a deprecated, retired or unknown one."""
    base = canonical_id(model)
    if model in RETIRED_MODELS:
        return RETIRED_MODELS[model]
    if base in RETIRED_MODELS:
        return RETIRED_MODELS[base]
    return CURRENT_BY_FAMILY.get(family_of(base) or "", DEFAULT_MODEL)


def deprecation_note(model: str) -> str | None:
    """One line when ``model`` is deprecated (still served), else None."""
    spec = MODELS.get(canonical_id(model))
    if spec is None or not spec.deprecated_until:
        return None
    return (
        f'Model "{model}" is deprecated and stops working on {spec.deprecated_until}: '
        f'use "{replacement_for(model)}" instead.'
    )


def cost_usd(
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read_tokens: int = 0,
    cache_write_tokens: int = 0,
) -> Decimal | None:
    """The USD cost of one response, or None when the model's price is unknown.

    ``input_tokens`` is the uncached input, as the API reports it; cache reads
    and writes are billed at their own rates.
    """
    spec = model_spec(model)
    if spec is None:
        return None
    rates = spec.rates
    prompt = input_tokens + cache_read_tokens + cache_write_tokens
    if spec.long_threshold is not None and spec.long_rates and prompt > spec.long_threshold:
        rates = spec.long_rates
    total = (
        input_tokens * rates.input
        + output_tokens * rates.output
        + cache_read_tokens * rates.cache_read
        + cache_write_tokens * rates.cache_write
    )
    return total / _MILLION
