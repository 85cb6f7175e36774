"""How long each wait of one try may last, and which wait ran out when a try timed out.

A try waits for four things, each with its own limit (config keys in brackets):

- a connection (``connect_timeout``, default 10 s);
- the first byte of the response (``first_byte_timeout``, default 30 s): the
  API has accepted the request and starts to answer;
- for a stream, the next bytes (``idle_timeout``, default 45 s): the longest
  silence between two pieces of the stream. The API sends a ``ping`` event
  about every 30 s while the model thinks without writing, and the SDK drops
  pings from the events it yields, so silence is measured on the bytes (the
  HTTP read timeout), never between the SDK's events. The same limit bounds a
  request body that makes no progress while being sent;
- for a request that does not stream, the whole answer (``timeout``), which
  only comes when it is complete: by default ``first_byte_timeout`` plus the
  time ``max_tokens`` take at a slow model's pace (``SLOW_TOKENS_PER_SECOND``).

The HTTP client's read timeout is per read: one value for the wait for the
response's start and for each read of its body. A stream's reads after the
first byte get ``idle_timeout`` by setting the request's ``timeout``
extension once the response has started, before its body is read (httpcore
reads it when the body's reading begins; ``tests/test_provider_claude.py``
pins it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import anthropic

from ._config import Settings
from ._errors import TimedOut

# The anthropic SDK expects at most an hour for 128,000 output tokens (its
# _calculate_nonstreaming_timeout); an answer slower than this is not coming.
SLOW_TOKENS_PER_SECOND = 128_000 / 3600


def answer_timeout(first_byte: float, max_tokens: int) -> float:
    """Seconds a non-streamed answer of up to ``max_tokens`` tokens may take."""
    return float(math.ceil(first_byte + max_tokens / SLOW_TOKENS_PER_SECOND))


@dataclass(frozen=True)
class Wait:
    """One limit: its seconds and the config key that sets it (named when it runs out)."""

    seconds: float
    key: str


@dataclass(frozen=True)
class Waits:
    """The limits of one try: ``answer`` is set for a request that does not stream."""

    connect: Wait
    first_byte: Wait
    idle: Wait
    answer: Wait | None = None

    @property
    def streaming(self) -> bool:
        """Whether the answer streams (else the whole answer is one wait)."""
        return self.answer is None

    def sdk_timeout(self) -> anthropic.Timeout:
        """The HTTP client's timeouts for the request, up to the response's first byte."""
        start = self.first_byte if self.answer is None else self.answer
        return anthropic.Timeout(
            connect=self.connect.seconds,
            pool=self.connect.seconds,
            write=self.idle.seconds,
            read=start.seconds,
        )

    def between_bytes(self, response: Any) -> None:
        """The response has started: from now on a read waits at most ``idle``."""
        request = getattr(response, "request", None)
        timeouts = getattr(request, "extensions", {}).get("timeout")
        if isinstance(timeouts, dict):
            timeouts["read"] = self.idle.seconds

    def ran_out(self, kind: str, *, started: bool, model: str) -> TimedOut:
        """The error for the transport's ``kind`` of timeout (``connect``, ``pool``,
        ``write``, ``read``), ``started`` once the response has begun."""
        if kind in ("connect", "pool"):
            return TimedOut("connect", self.connect.seconds, self.connect.key, model=model)
        if kind == "write":
            return TimedOut("send", self.idle.seconds, self.idle.key, model=model)
        if started:
            return TimedOut("idle", self.idle.seconds, self.idle.key, model=model)
        if self.answer is not None:
            return TimedOut("answer", self.answer.seconds, self.answer.key, model=model)
        return TimedOut("first_byte", self.first_byte.seconds, self.first_byte.key, model=model)


def waits_for(
    settings: Settings, *, stream: bool, max_tokens: int, request_timeout: float | None = None
) -> Waits:
    """The limits of a try under ``settings``.

    ``request_timeout`` (``ChatRequest.timeout``) bounds every wait of this call:
    the whole answer of a request that does not stream, else the first byte and
    each silence.
    """
    connect = Wait(settings.connect_timeout, "connect_timeout")
    first_byte = Wait(settings.first_byte_timeout, "first_byte_timeout")
    idle = Wait(settings.idle_timeout, "idle_timeout")
    cap = Wait(request_timeout, "ChatRequest.timeout") if request_timeout else None
    if not stream:
        if cap is not None:
            answer = cap
        elif settings.timeout is not None:
            answer = Wait(settings.timeout, "timeout")
        else:
            answer = Wait(answer_timeout(first_byte.seconds, max_tokens), "timeout")
        return Waits(connect, first_byte, idle, answer)
    if cap is not None:
        first_byte = min(first_byte, cap, key=lambda wait: wait.seconds)
        idle = min(idle, cap, key=lambda wait: wait.seconds)
    return Waits(connect, first_byte, idle)
