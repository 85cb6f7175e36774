"""The Claude provider: one ``complete()`` per model call, streamed, retried, priced."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
import time
import warnings
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import anthropic
from amplifier_core import (
    ChatRequest,
    ChatResponse,
    ConfigField,
    ModelInfo,
    ProviderInfo,
    ToolCall,
    Usage,
)
from amplifier_core.llm_errors import (
    AbortError,
    AuthenticationError,
    InvalidToolCallError,
    QuotaExceededError,
)
from amplifier_core.models import Pricing

from amplifier_jupyter.modules._cancellation import is_cancelled, until_cancelled
from amplifier_jupyter.modules._emit import emit

from ._config import Settings
from ._errors import (
    NO_KEY_MESSAGE,
    PROVIDER,
    StreamCut,
    UnreadableResponse,
    describe,
    is_retryable,
    one_line,
    reason,
    retry_after,
    status_of,
    timeout_kind,
    translate,
)
from ._mapping import build_request, to_chat_response
from ._pricing import MODELS, ModelSpec, cost_usd, deprecation_note, model_spec
from ._streaming import StreamRelay
from ._tls import shared_ssl_context
from ._waits import Waits, waits_for

T = TypeVar("T")
log = logging.getLogger(__name__)

# Used for ids neither the table nor the family guess knows (e.g. a proxy's own names).
FALLBACK_SPEC = ModelSpec(
    "unknown",
    "unknown model",
    "unknown",
    200_000,
    64_000,
    MODELS["claude-sonnet-5-5"].rates,
    sampling=True,
)
OBSERVED_EVENTS = [
    "llm:request",
    "llm:response",
    "provider:retry",
    "provider:tool_sequence_repaired",
    "content_block:start",
    "content_block:delta",
    "content_block:end",
    "thinking:delta",
    "thinking:final",
]

# The SDK warns about deprecated ids with a DeprecationWarning, which Python
# hides outside __main__; we say it ourselves, once, as a visible line.
warnings.filterwarnings(
    "ignore", message=r"The model '.*' is deprecated", category=DeprecationWarning
)


class ModelDeprecationWarning(UserWarning):
    """The configured model still works but is deprecated (shown once per model)."""


_warned_models: set[str] = set()


def warn_if_deprecated(model: str) -> None:
    """Show the deprecation line for ``model`` once per process."""
    note = deprecation_note(model)
    if note and model not in _warned_models:
        _warned_models.add(model)
        warnings.warn(note, ModelDeprecationWarning, stacklevel=3)


class ClaudeProvider:
    """Anthropic's Messages API as an Amplifier provider (see the package docstring)."""

    name = PROVIDER

    def __init__(
        self,
        config: dict[str, Any] | None = None,
        coordinator: Any = None,
        *,
        client: Any = None,
    ) -> None:
        # The key is needed for a request, not to mount: a module validates, and a session
        # starts, without one (the host says up front when a live call will need it).
        self.settings = Settings.from_config(config, require_key=False)
        self.model = self.settings.model
        self._coordinator = coordinator
        self._client = client
        self.spent_usd = Decimal("0")
        self.requests = 0
        self._noted: set[str] = set()
        warn_if_deprecated(self.model)

    @property
    def client(self) -> Any:
        """The SDK client, made on first use; without an API key, the one-line
        ``AuthenticationError`` (a key set in the environment since mount counts)."""
        if self._client is None:
            api_key = self.settings.api_key or os.environ.get("ANTHROPIC_API_KEY")
            if not api_key:
                raise AuthenticationError(NO_KEY_MESSAGE, provider=PROVIDER)
            # Retries are ours (max_retries=0) so each one can be emitted and stopped;
            # so are the timeouts, given per request (_waits.py). The SDK's own HTTP
            # client, with the process's one TLS context (_tls.py).
            self._client = anthropic.AsyncAnthropic(
                api_key=api_key,
                base_url=self.settings.base_url,
                max_retries=0,
                http_client=anthropic.DefaultAsyncHttpxClient(verify=shared_ssl_context()),
            )
        return self._client

    # -- metadata ----------------------------------------------------------

    @staticmethod
    def spec_for(model: str) -> ModelSpec:
        """The table's row for ``model`` (a conservative default for unknown ids)."""
        return model_spec(model) or FALLBACK_SPEC

    @property
    def context_window(self) -> int:
        """Input tokens the configured model accepts (for the context manager's budget)."""
        return self.spec_for(self.model).context_window

    @property
    def max_output_tokens(self) -> int:
        """Output tokens the configured model can write at most."""
        return self.spec_for(self.model).max_output_tokens

    def get_model_info(self, model: str | None = None) -> ModelInfo:
        """Limits and prices of ``model`` (default: the configured one)."""
        model = model or self.model
        spec = self.spec_for(model)
        rates = spec.rates
        capabilities = ["tools", "streaming", "vision", "thinking", "prompt_caching"]
        return ModelInfo(
            id=model,
            display_name=spec.display_name if spec is not FALLBACK_SPEC else model,
            context_window=spec.context_window,
            max_output_tokens=spec.max_output_tokens,
            capabilities=capabilities,
            defaults={"max_tokens": min(32_000, spec.max_output_tokens)},
            pricing=Pricing(
                input_per_million=float(rates.input),
                output_per_million=float(rates.output),
                cache_read_per_million=float(rates.cache_read),
                cache_write_per_million=float(rates.cache_write),
            ),
        )

    def get_info(self) -> ProviderInfo:
        """Provider metadata: credentials, capabilities, defaults, setup fields."""
        return ProviderInfo(
            id=PROVIDER,
            display_name="Anthropic Claude",
            credential_env_vars=["ANTHROPIC_API_KEY"],
            capabilities=["streaming", "tools", "thinking", "vision", "prompt_caching"],
            defaults={
                "model": self.model,
                "timeout": self.settings.timeout,
                "connect_timeout": self.settings.connect_timeout,
                "first_byte_timeout": self.settings.first_byte_timeout,
                "idle_timeout": self.settings.idle_timeout,
                "max_retries": self.settings.max_retries,
                "stream": self.settings.stream,
                "cache": self.settings.cache,
            },
            config_fields=[
                ConfigField(
                    id="api_key",
                    display_name="API key",
                    field_type="secret",
                    prompt="Anthropic API key",
                    env_var="ANTHROPIC_API_KEY",
                ),
                ConfigField(
                    id="model",
                    display_name="Model",
                    field_type="choice",
                    prompt="Claude model",
                    choices=[m.id for m in MODELS.values() if m.current],
                    default=self.model,
                    required=False,
                ),
            ],
        )

    async def list_models(self) -> list[ModelInfo]:
        """The models in the table that still answer, current ones first (no network call)."""
        ordered = sorted(MODELS.values(), key=lambda m: (not m.current, bool(m.deprecated_until)))
        return [self.get_model_info(m.id) for m in ordered]

    def parse_tool_calls(self, response: ChatResponse) -> list[ToolCall]:
        """The response's tool calls (already parsed from ``tool_use`` blocks)."""
        return list(response.tool_calls or [])

    # -- the call --------------------------------------------------------------

    async def complete(self, request: ChatRequest, **kwargs: Any) -> ChatResponse:
        """One model call: map, send (streamed unless ``stream: false``), retry, price.

        ``request.model`` (or ``model=`` here) overrides the configured model for
        this call; ``stream=`` overrides the config for this call;
        ``extended_thinking=True`` (what loop-basic passes when its config asks)
        turns thinking on for this call.
        """
        model = str(kwargs.get("model") or request.model or self.model)
        if self._cancelled():  # Stop was pressed before this call began
            raise AbortError("stopped by the user", provider=PROVIDER, model=model)
        spec = self.spec_for(model)
        warn_if_deprecated(model)
        self._check_spending(model)
        settings = self.settings
        if kwargs.get("extended_thinking") and not settings.thinking:
            settings = dataclasses.replace(settings, thinking=True)
        api = build_request(request, settings, model, spec)
        for note in api.notes:
            self._note(note)
        if api.repairs:
            await self._emit(
                "provider:tool_sequence_repaired",
                {
                    "provider": PROVIDER,
                    "model": model,
                    "repair_count": len(api.repairs),
                    "repairs": [r.as_dict() for r in api.repairs],
                },
            )
        stream = bool(kwargs.get("stream", self.settings.stream))
        waits = waits_for(
            self.settings,
            stream=stream,
            max_tokens=int(api.params["max_tokens"]),
            request_timeout=request.timeout,
        )
        await self._emit(
            "llm:request",
            {
                "provider": PROVIDER,
                "model": model,
                "message_count": len(api.params["messages"]),
                "tool_count": len(api.params.get("tools", [])),
                "stream": stream,
                "thinking": api.params.get("thinking"),
            },
        )

        started = time.perf_counter()
        message, request_id, attempts = await self._with_retries(
            lambda: self._send(api.params, waits=waits, model=model), model=model
        )
        latency_ms = int((time.perf_counter() - started) * 1000)
        self.requests += 1
        usage = self._usage(message, model)
        if usage.cost_usd is not None:
            self.spent_usd += usage.cost_usd
        await self._emit(
            "llm:response",
            {
                "provider": PROVIDER,
                "model": message.model or model,
                "usage": usage.model_dump(),
                "cost_usd": None if usage.cost_usd is None else str(usage.cost_usd),
                "latency_ms": latency_ms,
                "finish_reason": message.stop_reason,
                "attempts": attempts,
            },
        )
        self._check_truncated_tool_call(message, model)
        metadata = {
            "model": message.model or model,
            "requested_model": model,
            "latency_ms": latency_ms,
            "request_id": request_id,
            "attempts": attempts,
            "stop_sequence": message.stop_sequence,
            "streamed": stream,
        }
        return to_chat_response(message, usage=usage, metadata=metadata)

    async def _send(
        self, params: dict[str, Any], *, waits: Waits, model: str
    ) -> tuple[Any, str | None]:
        """One try: ``(final API message, request id)``; a wait that runs out raises
        ``TimedOut`` (which one, and its key)."""
        started = False  # whether the response has begun (its first byte came)
        try:
            if not waits.streaming:
                try:
                    message = await self.client.messages.create(
                        **params, timeout=waits.sdk_timeout()
                    )
                except json.JSONDecodeError as error:  # a 200 whose body is not JSON
                    raise UnreadableResponse(one_line(error, 60), model=model) from error
                return message, getattr(message, "_request_id", None)
            async with self.client.messages.stream(**params, timeout=waits.sdk_timeout()) as events:
                started = True
                waits.between_bytes(events.response)
                message = await self._relay(events, model)
                return message, events.request_id
        except Exception as error:
            kind = timeout_kind(error)
            if kind is None:
                raise
            raise waits.ran_out(kind, started=started, model=model) from error

    async def _relay(self, events: Any, model: str) -> Any:
        """Read a started stream to its end (``StreamRelay``), its failures as ours."""
        relay = StreamRelay(
            self._emit, self._cancelled, model, interval=self.settings.delta_interval
        )
        try:
            return await relay.run(events)
        except (AbortError, StreamCut, anthropic.APIStatusError):
            raise
        except ValueError as error:  # unparsable SSE data or tool-input JSON
            raise UnreadableResponse(one_line(error, 60), model=model) from error
        except Exception as error:
            if timeout_kind(error) is not None:
                raise  # a silence: _send names the wait
            # httpx's transport errors (peer closed mid-body) are not wrapped by the
            # SDK while a stream is being read.
            transport = type(error).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore")
            if transport or isinstance(error, anthropic.APIConnectionError | OSError):
                raise StreamCut(one_line(error, 60), model=model) from error
            raise

    async def _with_retries(
        self,
        attempt: Callable[[], Awaitable[tuple[Any, str | None]]],
        *,
        model: str,
    ) -> tuple[Any, str | None, int]:
        """Run ``attempt`` until it succeeds, retrying what is worth retrying."""
        tries = 0
        while True:
            tries += 1
            try:
                message, request_id = await self._until_cancelled(attempt(), model)
                return message, request_id, tries
            except (AbortError, asyncio.CancelledError):
                raise
            except Exception as error:
                if self._cancelled():
                    raise AbortError(
                        "stopped by the user", provider=PROVIDER, model=model
                    ) from error
                final = translate(
                    error,
                    model=model,
                    attempts=tries,
                    base_url=str(self.client.base_url),
                    secret=self.settings.api_key,
                )
                if tries > self.settings.max_retries or not is_retryable(error):
                    raise final from error
                delay = self._delay(error, tries)
                if delay is None:  # the API asks for a longer wait than we may take
                    raise final from error
                await self._emit(
                    "provider:retry",
                    {
                        "provider": PROVIDER,
                        "model": model,
                        "attempt": tries,
                        "max_retries": self.settings.max_retries,
                        "delay": round(delay, 3),
                        "status": status_of(error),
                        "reason": reason(error),
                        "error": describe(error),
                    },
                )
                await self._until_cancelled(asyncio.sleep(delay), model)

    def _delay(self, error: BaseException, tries: int) -> float | None:
        """Seconds before the next try: ``retry-after`` if given, else jittered backoff."""
        cap = self.settings.max_retry_delay
        asked = retry_after(error)
        if asked is not None:
            return asked if asked <= cap else None
        backoff = min(cap, self.settings.retry_base_delay * 2 ** (tries - 1))
        return backoff * (0.75 + random.random() / 4)

    # -- helpers -----------------------------------------------------------------

    def _usage(self, message: Any, model: str) -> Usage:
        raw = message.usage
        input_tokens = raw.input_tokens or 0
        output_tokens = raw.output_tokens or 0
        cache_read = getattr(raw, "cache_read_input_tokens", None) or 0
        cache_write = getattr(raw, "cache_creation_input_tokens", None) or 0
        served = message.model if model_spec(message.model or "") else model
        cost = cost_usd(
            served,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
        )
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + cache_read + cache_write + output_tokens,
            cache_read_tokens=cache_read,
            cache_write_tokens=cache_write,
            cost_usd=cost,
        )

    def _check_spending(self, model: str) -> None:
        cap = self.settings.max_cost_usd
        if cap is not None and self.spent_usd >= cap:
            raise QuotaExceededError(
                f"Spending cap reached: ${self.spent_usd:.4f} spent of max_cost_usd ${cap} "
                'for this session; raise "max_cost_usd" in the provider config to go on.',
                provider=PROVIDER,
                model=model,
            )

    def _check_truncated_tool_call(self, message: Any, model: str) -> None:
        """A tool call cut off by max_tokens has partial input: refuse it rather than run it."""
        if message.stop_reason != "max_tokens" or not message.content:
            return
        last = message.content[-1]
        if getattr(last, "type", None) == "tool_use":
            raise InvalidToolCallError(
                f"The answer reached max_tokens in the middle of a call to {last.name}: "
                'raise "max_tokens" in the provider config and run the cell again.',
                tool_name=last.name,
                provider=PROVIDER,
                model=model,
            )

    def _note(self, note: str) -> None:
        if note not in self._noted:
            self._noted.add(note)
            log.info("provider-claude: %s", note)

    def _cancelled(self) -> bool:
        return is_cancelled(self._coordinator)

    async def _until_cancelled(self, awaitable: Awaitable[T], model: str) -> T:
        """Await, but stop at once (``AbortError``) when the user asks to stop."""

        def stopped() -> AbortError:
            return AbortError("stopped by the user", provider=PROVIDER, model=model)

        return await until_cancelled(awaitable, self._coordinator, stopped)

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        await emit(self._coordinator, event, data)  # nothing without hooks

    async def close(self) -> None:
        """Close the SDK client's connections."""
        if self._client is not None:
            await self._client.close()
