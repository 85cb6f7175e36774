"""The provider's config dict -> typed settings, upstream key spellings included.

Plans written for the upstream ``provider-anthropic`` reach this module with
their config unchanged, so its key names are accepted as aliases and keys
neither module knows are ignored (logged at debug level), never an error.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from amplifier_core.llm_errors import AuthenticationError, ConfigurationError

from ._errors import NO_KEY_MESSAGE, PROVIDER
from ._pricing import DEFAULT_MODEL

# The defaults of the waits (_waits.py says what each bounds); here so that
# Settings needs nothing of _waits, which needs the SDK.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_FIRST_BYTE_TIMEOUT = 30.0
DEFAULT_IDLE_TIMEOUT = 45.0
# Seconds over which streamed pieces are gathered into one content_block:delta
# (amplifier_jupyter/modules/_deltas.py); 0: an event per piece.
DEFAULT_DELTA_INTERVAL = 0.05

log = logging.getLogger(__name__)

# upstream / alternative spelling -> our key
ALIASES = {
    "default_model": "model",
    "use_streaming": "stream",
    "streaming": "stream",
    "enable_prompt_caching": "cache",
    "prompt_caching": "cache",
    "min_retry_delay": "retry_base_delay",
    "retry_delay": "retry_base_delay",
    "reasoning_effort": "effort",
    "extended_thinking": "thinking",
    "enable_thinking": "thinking",
    "thinking_budget": "thinking_budget_tokens",
    "stop": "stop_sequences",
}
KNOWN = {
    "model",
    "api_key",
    "base_url",
    "max_tokens",
    "temperature",
    "timeout",
    "connect_timeout",
    "first_byte_timeout",
    "idle_timeout",
    "max_retries",
    "retry_base_delay",
    "max_retry_delay",
    "thinking",
    "thinking_budget_tokens",
    "thinking_display",
    "effort",
    "stream",
    "delta_interval",
    "max_cost_usd",
    "cache",
    "stop_sequences",
}
EFFORTS = ("low", "medium", "high", "xhigh", "max")
DEFAULT_THINKING_BUDGET = 4_096
MIN_THINKING_BUDGET = 1_024


def _fail(key: str, wanted: str, value: Any) -> ConfigurationError:
    return ConfigurationError(
        f'provider-claude config "{key}" must be {wanted}, not {value!r}', provider=PROVIDER
    )


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0", ""):
        return False
    if isinstance(value, int):
        return bool(value)
    raise _fail(key, "true or false", value)


def _number(key: str, value: Any, *, integer: bool = False, minimum: float = 0) -> Any:
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        kind = "a whole number" if integer else "a number"
        raise _fail(key, kind, value) from None
    if isinstance(value, bool) or number < minimum:
        raise _fail(key, f"a number >= {minimum:g}", value)
    return number


def _seconds(key: str, value: Any) -> float:
    """A wait's limit: a number of seconds above 0 (no wait is unbounded)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not seconds > 0 or math.isinf(seconds):
        raise _fail(key, "a number of seconds above 0", value)
    return seconds


@dataclass
class Settings:
    """Everything the provider reads from its config (see the package docstring)."""

    model: str = DEFAULT_MODEL
    api_key: str | None = None
    base_url: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    # None: a non-streamed answer may take first_byte_timeout plus its max_tokens at a
    # slow pace (_waits.answer_timeout); streams are bounded by silence instead.
    timeout: float | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    first_byte_timeout: float = DEFAULT_FIRST_BYTE_TIMEOUT
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    max_retries: int = 3
    retry_base_delay: float = 1.0
    max_retry_delay: float = 60.0
    # None: leave "thinking" out (the model's default); False: ask for none;
    # True: ask for it (adaptive, or a budget on older models).
    thinking: bool | None = None
    thinking_budget_tokens: int = DEFAULT_THINKING_BUDGET
    thinking_display: str | None = None
    effort: str | None = None
    stream: bool = True
    delta_interval: float = DEFAULT_DELTA_INTERVAL
    max_cost_usd: Decimal | None = None
    cache: bool = True
    stop_sequences: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: dict[str, Any] | None, *, require_key: bool = True) -> Settings:
        """Parse ``config``; raise a one-line ``ConfigurationError`` on a bad value.

        The API key comes from ``api_key``, else ``ANTHROPIC_API_KEY``; with
        ``require_key`` its absence raises ``AuthenticationError`` (``NO_KEY_MESSAGE``).
        """
        raw: dict[str, Any] = {}
        ignored = []
        for key, value in (config or {}).items():
            name = ALIASES.get(key, key)
            if name not in KNOWN:
                ignored.append(key)
                continue
            # The canonical spelling wins over an alias given alongside it.
            if name in raw and key != name:
                continue
            raw[name] = value
        if ignored:
            log.debug("provider-claude ignores config keys %s", sorted(ignored))
        settings = cls(ignored=sorted(ignored))
        settings._apply(raw)
        if not settings.api_key:
            settings.api_key = os.environ.get("ANTHROPIC_API_KEY") or None
        if require_key and not settings.api_key:
            raise AuthenticationError(NO_KEY_MESSAGE, provider=PROVIDER)
        return settings

    def _apply(self, raw: dict[str, Any]) -> None:
        if raw.get("model"):
            self.model = str(raw["model"]).strip()
        if raw.get("api_key"):
            self.api_key = str(raw["api_key"]).strip()
        if raw.get("base_url"):
            self.base_url = str(raw["base_url"]).strip()
        if raw.get("max_tokens") is not None:
            self.max_tokens = _number("max_tokens", raw["max_tokens"], integer=True, minimum=1)
        if raw.get("temperature") is not None:
            self.temperature = _number("temperature", raw["temperature"])
        if raw.get("timeout") is not None:
            self.timeout = _seconds("timeout", raw["timeout"])
        for key in ("connect_timeout", "first_byte_timeout", "idle_timeout"):
            if raw.get(key) is not None:
                setattr(self, key, _seconds(key, raw[key]))
        if raw.get("max_retries") is not None:
            self.max_retries = _number("max_retries", raw["max_retries"], integer=True)
        if raw.get("retry_base_delay") is not None:
            self.retry_base_delay = _number("retry_base_delay", raw["retry_base_delay"])
        if raw.get("max_retry_delay") is not None:
            self.max_retry_delay = _number("max_retry_delay", raw["max_retry_delay"])
        self._apply_thinking(raw)
        if raw.get("effort") is not None:
            effort = str(raw["effort"]).strip().lower()
            if effort not in EFFORTS:
                raise _fail("effort", " / ".join(EFFORTS), raw["effort"])
            self.effort = effort
        if "stream" in raw:
            self.stream = _bool("stream", raw["stream"])
        if raw.get("delta_interval") is not None:
            self.delta_interval = _number("delta_interval", raw["delta_interval"])
        if "cache" in raw:
            self.cache = _bool("cache", raw["cache"])
        if raw.get("max_cost_usd") is not None:
            try:
                cap = Decimal(str(raw["max_cost_usd"]))
            except InvalidOperation:
                raise _fail("max_cost_usd", "an amount in USD", raw["max_cost_usd"]) from None
            if cap < 0:
                raise _fail("max_cost_usd", "an amount >= 0", raw["max_cost_usd"])
            self.max_cost_usd = cap
        stops = raw.get("stop_sequences")
        if stops:
            self.stop_sequences = [stops] if isinstance(stops, str) else [str(s) for s in stops]

    def _apply_thinking(self, raw: dict[str, Any]) -> None:
        """``thinking``: a bool, a budget (int) or ``{"budget_tokens", "display", "effort"}``."""
        value = raw.get("thinking")
        budget = raw.get("thinking_budget_tokens")
        if isinstance(value, dict):
            budget = value.get("budget_tokens", budget)
            if value.get("display"):
                self.thinking_display = str(value["display"])
            if value.get("effort") and raw.get("effort") is None:
                raw["effort"] = value["effort"]
            kind = str(value.get("type", "enabled")).lower()
            self.thinking = kind not in ("disabled", "off", "false")
        elif isinstance(value, int) and not isinstance(value, bool):
            self.thinking, budget = value > 0, value if value > 0 else budget
        elif value is not None:
            self.thinking = _bool("thinking", value)
        if budget is not None:
            self.thinking_budget_tokens = max(
                MIN_THINKING_BUDGET, _number("thinking_budget_tokens", budget, integer=True)
            )
            if value is None:  # a budget alone asks for thinking
                self.thinking = True
        if raw.get("thinking_display"):
            self.thinking_display = str(raw["thinking_display"])
        if self.thinking_display not in (None, "summarized", "omitted"):
            raise _fail("thinking display", '"summarized" or "omitted"', self.thinking_display)
