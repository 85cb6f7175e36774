"""SDK and transport failures -> ``amplifier_core.llm_errors``, each with a one-line message.

Every message says what happened and what to do, fits on one line, and never
contains the API key: a notebook shows it to the user as it is.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import anthropic
from amplifier_core import llm_errors

from ._pricing import replacement_for

PROVIDER = "claude"
NO_KEY_MESSAGE = (
    'No Anthropic API key: set ANTHROPIC_API_KEY (or "api_key" in the provider config), '
    "or use the offline provider-scripted."
)
# 408 request timeout, 409 lock timeout, 429 rate limit, 5xx and 529 overloaded:
# the same request may well succeed a little later.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
_API_MESSAGE_LIMIT = 160


class StreamCut(llm_errors.StreamError):
    """The answer stream ended before ``message_stop`` (retryable)."""

    def __init__(self, detail: str, *, model: str | None = None) -> None:
        super().__init__(
            "the answer stream was cut off before it finished", provider=PROVIDER, model=model
        )
        self.detail = detail  # the transport's words, for logs and provider:retry


class UnreadableResponse(llm_errors.ProviderUnavailableError):
    """The API sent JSON or SSE data that could not be parsed (retryable)."""

    def __init__(self, detail: str, *, model: str | None = None) -> None:
        super().__init__(
            "the Anthropic API sent a response that could not be read",
            provider=PROVIDER,
            model=model,
        )
        self.detail = detail


class TimedOut(llm_errors.LLMTimeoutError):
    """A wait of one try ran out (retryable): ``what`` waited ``seconds``, set by ``key``.

    ``what``: ``connect``, ``send`` (the request body stopped moving),
    ``first_byte`` (the response did not start), ``idle`` (a stream went
    silent) or ``answer`` (a non-streamed answer did not come).
    """

    _SAID = {
        "connect": "no connection to the Anthropic API within {s} s",
        "send": "sending the request made no progress for {s} s",
        "first_byte": "the Anthropic API sent nothing for {s} s",
        "idle": "the answer stream went silent for {s} s",
        "answer": "the Anthropic API did not answer within {s} s",
    }
    _REASONS = {
        "connect": "{s} s with no connection",
        "send": "{s} s stuck sending",
        "first_byte": "{s} s with no answer",
        "idle": "{s} s of silence",
        "answer": "{s} s with no answer",
    }

    def __init__(self, what: str, seconds: float, key: str, *, model: str | None = None) -> None:
        super().__init__(self._SAID[what].format(s=f"{seconds:g}"), provider=PROVIDER, model=model)
        self.what = what
        self.seconds = seconds
        self.key = key
        # Short, for "retry 1 of 3 after 30 s with no answer".
        self.reason = self._REASONS[what].format(s=f"{seconds:g}")

    def advice(self) -> str:
        """What to do when the last try ran out too."""
        if self.key == "ChatRequest.timeout":
            longer = "or give the request a longer timeout"
        else:
            longer = f'or raise "{self.key}" in the provider config'
        if self.what == "connect":
            return f"check the network connection and base_url, {longer}"
        if self.what == "answer":
            return f"stream the answer (stream: true), {longer}"
        return f"try again, {longer}"


_TRANSPORTS = ("httpx", "httpx2", "httpcore", "httpcore2")
_TIMEOUT_KINDS = {
    "ConnectTimeout": "connect",
    "PoolTimeout": "pool",
    "WriteTimeout": "write",
    "ReadTimeout": "read",
}


def timeout_kind(error: BaseException) -> str | None:
    """``connect``, ``pool``, ``write`` or ``read`` when ``error`` is the HTTP transport's
    timeout, or wraps it (the SDK's ``APITimeoutError`` has it as ``__cause__``); else None.
    Ours (a Stop, a cut stream) never are, whatever they were raised from."""
    seen: BaseException | None = error
    for _ in range(3):  # the SDK wraps once
        if seen is None or isinstance(seen, llm_errors.LLMError):
            return None
        for cls in type(seen).__mro__:
            if cls.__module__.split(".")[0] in _TRANSPORTS and cls.__name__ in _TIMEOUT_KINDS:
                return _TIMEOUT_KINDS[cls.__name__]
        seen = seen.__cause__
    return None


def one_line(text: Any, limit: int = _API_MESSAGE_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (the API key) in it."""
    if secret and len(secret) >= 8 and secret in text:
        return text.replace(secret, "[redacted]")
    return text


# An error that arrives inside a 200 SSE stream ("event: error") has only its
# type to go by: read it as the status the same error has as a response.
_STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def status_of(error: BaseException) -> int | None:
    """The HTTP status behind an SDK error, if any (a mid-stream error's by its type)."""
    status = getattr(error, "status_code", None)
    if status == 200:
        return _STATUS_OF_TYPE.get(_api_type(error), 500)
    return status if isinstance(status, int) else None


def _headers(error: BaseException) -> Any:
    response = getattr(error, "response", None)
    return getattr(response, "headers", None) or {}


def retry_after(error: BaseException) -> float | None:
    """Seconds the API asked us to wait (``retry-after-ms`` or ``retry-after``), if it said."""
    headers = _headers(error)
    try:
        return max(0.0, float(headers.get("retry-after-ms")) / 1000)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def is_retryable(error: BaseException) -> bool:
    """Whether the same request is worth sending again."""
    if isinstance(error, llm_errors.LLMError):
        return error.retryable
    header = str(_headers(error).get("x-should-retry", "")).lower()
    if header in ("true", "false"):  # the API's own verdict wins
        return header == "true"
    if isinstance(error, anthropic.APIStatusError):
        status = status_of(error) or 0
        return status in RETRYABLE_STATUS or status >= 500
    if isinstance(error, anthropic.APIConnectionError):  # includes timeouts
        return True
    return isinstance(error, anthropic.APIResponseValidationError | json.JSONDecodeError)


def _api_message(error: BaseException) -> str:
    message = getattr(error, "api_message", None)
    if not message:
        body = getattr(error, "body", None)
        if isinstance(body, dict):
            inner = body.get("error")
            message = inner.get("message") if isinstance(inner, dict) else None
    return one_line(message or "")


def _api_type(error: BaseException) -> str:
    kind = getattr(error, "type", None)
    if isinstance(kind, str):
        return kind
    body = getattr(error, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("type") or "")
    return ""


def describe(error: BaseException) -> str:
    """A short account of a failed try, for ``provider:retry`` (never the key)."""
    status = status_of(error)
    if status is not None:
        kind = _api_type(error) or "error"
        detail = _api_message(error)
        return one_line(f"{status} {kind}" + (f": {detail}" if detail else ""))
    extra = getattr(error, "detail", None)
    return one_line(f"{type(error).__name__}: {error}" + (f" ({extra})" if extra else ""))


def reason(error: BaseException) -> str:
    """Why a try failed, in a few words (``provider:retry``'s ``reason``): ``529``,
    ``30 s with no answer``, ``45 s of silence``, ``stream cut``, ..."""
    if isinstance(error, TimedOut):
        return error.reason
    status = status_of(error)
    if status is not None:
        return str(status)
    if isinstance(error, StreamCut):
        return "stream cut"
    if isinstance(error, UnreadableResponse):
        return "unreadable response"
    if isinstance(error, anthropic.APITimeoutError):
        return "timeout"
    if isinstance(error, anthropic.APIConnectionError):
        return "connection error"
    return type(error).__name__


def translate(
    error: BaseException,
    *,
    model: str,
    attempts: int = 1,
    base_url: str | None = None,
    secret: str | None = None,
) -> llm_errors.LLMError:
    """The ``llm_errors`` exception for ``error``, after ``attempts`` tries.

    Raise the result ``from error`` so the SDK's exception stays on ``__cause__``.
    """
    # Inside a status parenthesis ("429, after 4 tries") or on its own.
    tries = f", after {attempts} tries" if attempts > 1 else ""
    after = f" (after {attempts} tries)" if attempts > 1 else ""
    status = status_of(error)
    where = base_url or "https://api.anthropic.com"
    detail = _api_message(error)
    common: dict[str, Any] = {"provider": PROVIDER, "model": model, "status_code": status}

    def make(cls: type[llm_errors.LLMError], text: str, **extra: Any) -> llm_errors.LLMError:
        return cls(redact(one_line(text, 400), secret), **common, **extra)

    if isinstance(error, TimedOut):
        text = f"{error}{after}"
        timed_out = make(
            llm_errors.LLMTimeoutError, f"{text[0].upper()}{text[1:]}: {error.advice()}."
        )
        timed_out.retryable = True
        return timed_out
    if isinstance(error, llm_errors.LLMError):
        # Ours (a cut stream, an unreadable response): add the count, keep the class.
        text = f"{error}{after}"
        # Rebuild as the public llm_errors class (our subclasses take other arguments).
        cls = next(c for c in type(error).__mro__ if c.__module__ == llm_errors.__name__)
        rebuilt = make(cls, f"{text[0].upper()}{text[1:]}: run the cell again.")
        rebuilt.retryable = error.retryable
        return rebuilt
    if status == 401:
        return make(
            llm_errors.AuthenticationError,
            "The Anthropic API refused the API key (401): check ANTHROPIC_API_KEY "
            'or "api_key" in the provider config.',
        )
    if status == 403:
        return make(
            llm_errors.AccessDeniedError,
            f"The API key may not do this (403 {detail or 'permission_error'}): "
            "check the key's workspace and permissions in the Anthropic Console.",
        )
    if status == 404:
        if _api_type(error) == "not_found_error" and "model" in detail.lower():
            return make(
                llm_errors.NotFoundError,
                f'Model "{model}" was not found (retired or misspelled): '
                f'use "{replacement_for(model)}" instead.',
            )
        return make(
            llm_errors.NotFoundError,
            f"The Anthropic API answered 404 at {where}: check base_url.",
        )
    lowered = detail.lower()
    if status == 402 or "credit balance" in lowered:
        return make(
            llm_errors.QuotaExceededError,
            "Your Anthropic credit balance is too low: add credits in the Anthropic Console, "
            "then run the cell again.",
        )
    if status == 413:
        return make(
            llm_errors.ContextLengthError,
            "The request is too large for the Anthropic API (413): send less "
            "(a shorter conversation, fewer or smaller images).",
        )
    if status in (400, 422) and (
        "prompt is too long" in lowered or ("context" in lowered and "exceed" in lowered)
    ):
        return make(
            llm_errors.ContextLengthError,
            f"The conversation is too long for {model} ({detail}): "
            "start a new conversation or send less context.",
        )
    if status in (400, 422):
        return make(
            llm_errors.InvalidRequestError,
            f"The Anthropic API rejected the request ({status}: {detail or 'invalid request'}): "
            "check the provider config and the model's request rules.",
        )
    if status == 429:
        return make(
            llm_errors.RateLimitError,
            f"Rate limited by the Anthropic API (429{tries}): "
            "wait a minute and run the cell again.",
            retry_after=retry_after(error),
        )
    if status == 529:
        return make(
            llm_errors.ProviderUnavailableError,
            f"The Anthropic API is overloaded (529{tries}): try again in a few minutes.",
            retry_after=retry_after(error),
        )
    if status is not None and (status >= 500 or status in (408, 409)):
        return make(
            llm_errors.ProviderUnavailableError,
            f"The Anthropic API failed ({status} {_api_type(error) or 'server error'}{tries}): "
            "try again shortly.",
            retry_after=retry_after(error),
        )
    if isinstance(error, anthropic.APITimeoutError):  # a timeout _send could not place
        return make(
            llm_errors.LLMTimeoutError,
            f"The Anthropic API did not answer in time{after}: try again shortly.",
        )
    if isinstance(error, anthropic.APIConnectionError):
        return make(
            llm_errors.NetworkError,
            f"Could not reach the Anthropic API at {where}{after}: "
            "check the network connection and base_url.",
        )
    if isinstance(error, anthropic.APIResponseValidationError | json.JSONDecodeError):
        return make(
            llm_errors.ProviderUnavailableError,
            f"The Anthropic API sent a response that could not be read{after}: try again shortly.",
        )
    if isinstance(error, anthropic.APIStatusError):
        return make(
            llm_errors.LLMError,
            f"The Anthropic API answered {status} ({detail or _api_type(error)}): "
            "try again, or check the provider config.",
        )
    return make(
        llm_errors.LLMError,
        f"The Anthropic request failed ({type(error).__name__}: {one_line(error)}): "
        "run the cell again.",
    )
