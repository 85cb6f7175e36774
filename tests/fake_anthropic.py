"""A fake of Anthropic's Messages API over real HTTP, for tests and offline demos.

``POST /v1/messages`` answers with JSON, or with SSE when the body says
``"stream": true``, in the event shapes of the real API: ``message_start``,
``content_block_start`` / ``content_block_delta`` (``text_delta``,
``thinking_delta``, ``signature_delta``, ``input_json_delta``) /
``content_block_stop``, ``message_delta`` (``stop_reason`` and ``usage``),
``message_stop``. Errors use the API's error body and headers.

Replies come from a queue; when it is empty the fake answers on its own: "4"
when the last user text contains "2 + 2", else an echo of that text, else (a
turn of tool results only) "The tool returned: ...". Every request is recorded.

In a test (stdlib only, usable from a plain script too)::

    with FakeAnthropic() as fake:
        fake.enqueue("Hello!", tool_reply("add", {"a": 1}), error_reply(429, retry_after=0))
        client = anthropic.Anthropic(api_key="test", base_url=fake.url)
        ...
        assert fake.requests[0].body["model"] == "claude-sonnet-5-5"

A reply is a string (text), a :class:`Reply`, or a dict with the same keys as
the helpers take: ``text``, ``thinking``, ``signature``, ``tool_use`` (a dict
or a list of ``{"name", "input", "id"}``), ``content`` (raw API blocks),
``stop_reason``, ``usage``, ``model``, ``status``, ``error_type``, ``message``,
``headers``, ``retry_after``, ``cut_after``, ``malformed``, ``chunk_delay``,
``chunk_size``, ``first_byte_delay``, ``stall_after``, ``stall_for``,
``ping_every`` (see :class:`Reply`). Helpers: :func:`text_reply`,
:func:`tool_reply`, :func:`thinking_reply`, :func:`error_reply`,
:func:`cut_stream`, :func:`stream_error`, :func:`malformed_reply`,
:func:`silent_reply`, :func:`stalled_stream`; and :func:`unaccepting_host`, a
host that never accepts a connection.

From another process (e.g. a kernel started by a test)::

    python tests/fake_anthropic.py --port 0 --script replies.json

prints ``FAKE_ANTHROPIC_URL=http://127.0.0.1:PORT`` and serves until stopped;
``replies.json`` is a list of replies, or ``{"replies": [...],
"not_found_models": [...], "api_key": "..."}``. Point the SDK at it with
``ANTHROPIC_BASE_URL``. While it runs, ``GET /_fake/requests`` returns the
recorded requests, ``POST /_fake/replies`` (a JSON list) queues more replies and
``POST /_fake/reset`` clears both.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import json
import select
import signal
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeAnthropic",
    "RecordedRequest",
    "Reply",
    "cut_stream",
    "error_reply",
    "malformed_reply",
    "silent_reply",
    "stalled_stream",
    "stream_error",
    "text_reply",
    "thinking_reply",
    "tool_reply",
    "unaccepting_host",
]

DEFAULT_MODEL = "claude-sonnet-5-5"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}


# -- replies -------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer (or fault) of the fake.

    ``content`` holds API content blocks (``text``, ``thinking``,
    ``redacted_thinking``, ``tool_use``). ``status`` other than 200 makes it an
    error response (``error_type``/``message`` for the body, ``retry_after``
    as the header). ``cut_after`` drops the connection after that many SSE
    events (or half-way through a JSON body), or, with ``error_type`` set and
    ``status`` 200, sends an SSE ``error`` event there instead (a plain request
    then gets the error's status). ``malformed`` sends data that is not JSON;
    ``chunk_delay`` sleeps between SSE events; ``chunk_size`` is the
    characters per text/thinking delta.

    Hangs: ``first_byte_delay`` waits that many seconds before the response
    starts (its status line), as an API that accepted the connection but does
    not answer; ``stall_after`` sends that many SSE events, then nothing for
    ``stall_for`` seconds (then the rest), as a stream gone quiet;
    ``ping_every`` sends a ``ping`` event that often during the stall, as the
    real API does while the model thinks (the SDK drops pings: only the bytes
    show). A wait ends early when the client goes or the fake stops.
    """

    content: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    usage: dict[str, int] | None = None
    model: str | None = None
    status: int = 200
    error_type: str | None = None
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    cut_after: int | None = None
    malformed: bool = False
    chunk_delay: float = 0.0
    chunk_size: int = 6
    first_byte_delay: float = 0.0
    stall_after: int | None = None
    stall_for: float = 3600.0
    ping_every: float | None = None

    @classmethod
    def from_spec(cls, spec: str | dict[str, Any] | Reply) -> Reply:
        """A reply from a string (its text), a dict of helper keys, or a Reply."""
        if isinstance(spec, Reply):
            return spec
        if isinstance(spec, str):
            return cls(content=[{"type": "text", "text": spec}])
        if not isinstance(spec, dict):
            raise TypeError(f"a reply is a str, dict or Reply, not {type(spec).__name__}")
        spec = dict(spec)
        content = list(spec.pop("content", []))
        thinking = spec.pop("thinking", None)
        signature = spec.pop("signature", None)
        text = spec.pop("text", None)
        tools = spec.pop("tool_use", None)
        if thinking is not None:
            content.append(
                {"type": "thinking", "thinking": thinking, "signature": signature or _sig(thinking)}
            )
        if text:
            content.append({"type": "text", "text": text})
        for call in [tools] if isinstance(tools, dict) else tools or []:
            content.append(
                {
                    "type": "tool_use",
                    "id": call.get("id") or f"toolu_{uuid.uuid4().hex[:20]}",
                    "name": call["name"],
                    "input": dict(call.get("input") or {}),
                }
            )
        return cls(content=content, **spec)


def _sig(text: str) -> str:
    return "sig_" + hashlib.sha256(text.encode()).hexdigest()[:32]


def text_reply(text: str, **kw: Any) -> Reply:
    """A plain text answer."""
    return Reply.from_spec({"text": text, **kw})


def tool_reply(
    name: str, input: dict[str, Any], *, id: str | None = None, text: str | None = None, **kw: Any
) -> Reply:
    """A ``tool_use`` answer (optionally after some text); ``stop_reason`` ``tool_use``."""
    return Reply.from_spec(
        {"text": text, "tool_use": {"name": name, "input": input, "id": id}, **kw}
    )


def thinking_reply(thinking: str, text: str, *, signature: str | None = None, **kw: Any) -> Reply:
    """A thinking block (with a signature) followed by text."""
    return Reply.from_spec({"thinking": thinking, "signature": signature, "text": text, **kw})


def error_reply(
    status: int,
    *,
    error_type: str | None = None,
    message: str | None = None,
    retry_after: float | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error response with the API's body; ``retry_after`` sets the header."""
    return Reply(
        status=status,
        error_type=error_type,
        message=message,
        retry_after=retry_after,
        headers=dict(headers or {}),
    )


def cut_stream(
    text: str = "This answer will be cut off half-way through.", after: int = 4
) -> Reply:
    """A streamed answer whose connection drops after ``after`` SSE events."""
    return Reply.from_spec({"text": text, "cut_after": after})


def stream_error(error_type: str = "overloaded_error", after: int = 3) -> Reply:
    """A streamed answer that sends an SSE ``error`` event after ``after`` events.

    This is how the real API reports, say, an overload that happens once the
    200 response has started; a non-streamed request gets the error status.
    """
    return Reply.from_spec(
        {
            "text": "This answer stops with an error event.",
            "error_type": error_type,
            "cut_after": after,
        }
    )


def silent_reply(text: str = "An answer that comes too late.", delay: float = 3600.0) -> Reply:
    """An answer that starts only after ``delay`` seconds (nothing at all until then)."""
    return Reply.from_spec({"text": text, "first_byte_delay": delay})


def stalled_stream(
    text: str = "This answer goes quiet half-way through.",
    after: int = 4,
    stall_for: float = 3600.0,
    ping_every: float | None = None,
) -> Reply:
    """A streamed answer that sends ``after`` SSE events, then nothing for ``stall_for`` s
    (only ``ping`` events every ``ping_every`` s, if given), then the rest."""
    return Reply.from_spec(
        {"text": text, "stall_after": after, "stall_for": stall_for, "ping_every": ping_every}
    )


def malformed_reply() -> Reply:
    """An answer whose body (or SSE data) is not JSON."""
    return Reply(content=[{"type": "text", "text": "unused"}], malformed=True)


# -- recording -------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """What reached the fake: ``headers`` has lower-case names; ``body`` is None if not JSON."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (for ``GET /_fake/requests``)."""
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
        }


def _tokens(value: Any) -> int:
    """A rough token count (4 characters a token), never 0."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return max(1, len(text) // 4)


def api_key_of(headers: dict[str, str]) -> str | None:
    """The key a client sent: ``x-api-key``, or ``Authorization: Bearer`` (newer SDKs)."""
    if headers.get("x-api-key"):
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def _uncached(value: Any) -> Any:
    """``value`` without ``cache_control`` markers (they move; the cached text does not)."""
    if isinstance(value, dict):
        return {k: _uncached(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_uncached(v) for v in value]
    return value


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if block.get("type") == "text":
            parts.append(block.get("text", ""))
    return "\n".join(parts)


# The API's limits on images, as this fake enforces them (docs/design.md has the text).
MAX_IMAGES = 20
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_SIDE = 8_000
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _pixels(data: bytes, kind: str) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR or a JPEG's SOF marker (enough for the tests)."""
    if kind == "image/png":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if kind == "image/jpeg":
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(
                    data[i + 5 : i + 7], "big"
                )
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _image_problem(block: dict[str, Any], where: str) -> str | None:
    """The real API's complaint about one image block, or None."""
    source = block.get("source") or {}
    if source.get("type") != "base64":
        return f"{where}.source: only base64 image sources are accepted here"
    media_type = source.get("media_type")
    if media_type not in IMAGE_TYPES:
        return (
            f"{where}.source.base64.media_type: Input should be "
            "'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
        )
    try:
        data = base64.b64decode(str(source.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        return f"{where}.source.base64: invalid base64 data"
    if not data:
        return f"{where}.source.base64: image data is empty"
    actual = _sniff(data)
    if actual != media_type:
        return (
            f"{where}.source.base64.data: The image was specified using the {media_type} "
            f"media type, but the image appears to be a {actual or 'unknown'} image"
        )
    if len(data) > MAX_IMAGE_BYTES:
        return (
            f"{where}.source.base64: image exceeds 5 MB maximum: "
            f"{len(data)} bytes > {MAX_IMAGE_BYTES} bytes"
        )
    size = _pixels(data, media_type)
    if size is not None and max(size) > MAX_IMAGE_SIDE:
        return f"{where}.source.base64.data: image dimensions exceed max allowed size: 8000 pixels"
    return None


def _images_problem(messages: list[Any]) -> str | None:
    """Every image block (in messages and in tool results) well formed; at most 20."""
    count = 0
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        for number, block in enumerate(content if isinstance(content, list) else []):
            inner = block.get("content") if block.get("type") == "tool_result" else None
            nested = [
                (f"messages.{index}.content.{number}.content.{n}", b)
                for n, b in enumerate(inner if isinstance(inner, list) else [])
            ]
            for where, item in [(f"messages.{index}.content.{number}", block), *nested]:
                if isinstance(item, dict) and item.get("type") == "image":
                    count += 1
                    problem = _image_problem(item, where)
                    if problem:
                        return problem
    if count > MAX_IMAGES:
        return f"messages: too many images in this request: {count} > {MAX_IMAGES}"
    return None


def _validate(body: dict[str, Any]) -> str | None:
    """The real API's checks that a provider is most likely to break; None when valid."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if not body.get("model"):
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int):
        return "max_tokens: Field required"
    if body.get("temperature") is not None and body.get("top_p") is not None:
        # Every model that still takes sampling parameters takes only one of the two.
        return "`temperature` and `top_p` cannot both be specified for this model."
    thinking = body.get("thinking") or {}
    forced = (body.get("tool_choice") or {}).get("type") in ("any", "tool")
    if thinking.get("type") in ("enabled", "adaptive") and forced:
        return "Thinking may not be enabled when tool_choice forces tool use."
    if thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if budget >= body["max_tokens"]:
            return "`max_tokens` must be greater than `thinking.budget_tokens`"
    breakpoints = 0
    system = body.get("system")
    for block in system if isinstance(system, list) else []:
        breakpoints += "cache_control" in block
    for tool in body.get("tools") or []:
        breakpoints += "cache_control" in tool
    pending: set[str] = set()
    for index, message in enumerate(messages):
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not blocks:
            return f"messages.{index}: all messages must have non-empty content"
        results = {b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"}
        if pending and not pending <= results:
            return (
                f"messages.{index}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(sorted(pending - results))}. Each `tool_use` "
                "block must have a corresponding `tool_result` block in the next message."
            )
        if message.get("role") == "user" and results - pending:
            return (
                f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` "
                f"blocks: {', '.join(sorted(results - pending))}. Each `tool_result` block must "
                "have a corresponding `tool_use` block in the previous message."
            )
        pending = set()
        for block in blocks:
            breakpoints += "cache_control" in block
            if block.get("type") == "text" and not str(block.get("text", "")).strip():
                return f"messages.{index}: text content blocks must contain non-whitespace text"
            if block.get("type") == "tool_use" and message.get("role") == "assistant":
                pending.add(block.get("id"))
    if pending:
        return (
            "messages: `tool_use` ids were found without `tool_result` blocks immediately "
            f"after: {', '.join(sorted(pending))}"
        )
    if breakpoints > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
    return _images_problem(messages)


# -- the server -------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections must not hold up stop().
    block_on_close = False
    fake: FakeAnthropic


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked SSE, like the real API
    # Each header line and chunk is a write of its own: with Nagle's algorithm on, a reused
    # connection held the next small write until the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    server: _Server
    timeout = 30  # an idle keep-alive connection ends after this

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        pass

    # -- plumbing --

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.send_header("request-id", f"req_fake_{uuid.uuid4().hex[:16]}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers)

    def _send_error(
        self, status: int, error_type: str | None, message: str | None, **kw: Any
    ) -> None:
        kind = error_type or ERROR_TYPES.get(status, "api_error")
        body = {
            "type": "error",
            "error": {"type": kind, "message": message or ERROR_MESSAGES.get(kind, "Error")},
            "request_id": f"req_fake_{uuid.uuid4().hex[:16]}",
        }
        self._send_json(status, body, kw.get("headers"))

    def _write_chunk(self, chunk: bytes) -> bool:
        """Send one chunk of a chunked body; False when the client has gone (Stop)."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return False
        return True

    def _quiet(self, seconds: float, ping_every: float | None = None) -> bool:
        """Send nothing (but pings, if asked) for ``seconds``; True when the connection
        should end instead of going on: the fake is stopping, or the client went away."""
        stopping = self.server.fake._stopping
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            step = min(left, ping_every) if ping_every else min(left, 0.05)
            if stopping.wait(step):
                self._drop()
                return True
            if ping_every and not self._write_chunk(_sse_chunk("ping", {"type": "ping"})):
                return True
            if not ping_every and self._client_gone():
                self.close_connection = True
                return True
        return False

    def _client_gone(self) -> bool:
        """Whether the client closed its end (a readable socket with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def _drop(self) -> None:
        """Close the connection abruptly (no terminating chunk)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- routes --

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.server.fake
        if self.path.split("?")[0] == "/_fake/requests":
            self._send_json(200, [r.as_dict() for r in fake.requests])
            return
        self._send_error(404, None, f"Not found: {self.path}")

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        fake = self.server.fake
        if path.startswith("/_fake/"):
            self._control(path, raw)
            return
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake._record(RecordedRequest("POST", path, headers, body, raw))
        if path != "/v1/messages":
            self._send_error(404, None, f"Not found: {path}")
            return
        if fake.api_key is not None and api_key_of(headers) != fake.api_key:
            self._send_error(401, None, None)
            return
        if not isinstance(body, dict):
            self._send_error(400, None, "The request body is not valid JSON.")
            return
        if body.get("model") in fake.not_found_models:
            self._send_error(404, None, f"model: {body['model']}")
            return
        problem = _validate(body) if fake.strict else None
        if problem:
            self._send_error(400, None, problem)
            return
        reply = fake._next_reply(body)
        if reply.status == 200 and reply.error_type and not body.get("stream"):
            status = next((k for k, v in ERROR_TYPES.items() if v == reply.error_type), 500)
            reply = Reply(status=status, error_type=reply.error_type, message=reply.message)
        if reply.first_byte_delay and self._quiet(reply.first_byte_delay):
            return
        if reply.status != 200:
            extra = dict(reply.headers)
            if reply.retry_after is not None:
                extra["retry-after"] = f"{reply.retry_after:g}"
            self._send_error(reply.status, reply.error_type, reply.message, headers=extra)
            return
        message = fake._message(body, reply)
        if body.get("stream"):
            self._stream(message, reply)
        else:
            self._answer(message, reply)

    def _control(self, path: str, raw: bytes) -> None:
        fake = self.server.fake
        if path == "/_fake/replies":
            fake.enqueue(*json.loads(raw or b"[]"))
        elif path == "/_fake/reset":
            fake.reset()
        else:
            self._send_error(404, None, f"Not found: {path}")
            return
        self._send_json(200, {"ok": True, "queued": fake.queued})

    def _answer(self, message: dict[str, Any], reply: Reply) -> None:
        body = json.dumps(message).encode()
        if reply.malformed:
            body = b'{"id": "msg_broken", "content": [{"type": "text", "te'
        if reply.cut_after is not None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self._drop()
            return
        self._send(200, body, reply.headers)

    def _stream(self, message: dict[str, Any], reply: Reply) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_fake_{uuid.uuid4().hex[:16]}")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        stopping = self.server.fake._stopping
        for count, (event, data) in enumerate(_sse_events(message, reply.chunk_size)):
            if count == reply.stall_after and self._quiet(reply.stall_for, reply.ping_every):
                return
            if reply.cut_after is not None and count >= reply.cut_after:
                if reply.error_type:
                    kind = reply.error_type
                    error = {"type": kind, "message": reply.message or ERROR_MESSAGES.get(kind, "")}
                    self._write_chunk(_sse_chunk("error", {"type": "error", "error": error}))
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                else:
                    self._drop()
                return
            chunk = _sse_chunk(event, data)
            if reply.malformed and event == "content_block_delta":
                chunk = chunk[: len(chunk) // 2] + b"\n\n"
            if not self._write_chunk(chunk):
                return
            if reply.chunk_delay and stopping.wait(reply.chunk_delay):
                self._drop()
                return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _sse_chunk(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _pieces(text: str, size: int) -> Iterator[str]:
    size = max(1, size)
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _sse_events(message: dict[str, Any], size: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The SSE events of ``message``, in the real API's order and shapes."""
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    yield "ping", {"type": "ping"}
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        if kind == "text":
            opening = {"type": "text", "text": ""}
        elif kind == "thinking":
            opening = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "tool_use":
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        else:
            opening = block
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
        deltas: Iterable[dict[str, Any]] = ()
        if kind == "text":
            deltas = ({"type": "text_delta", "text": p} for p in _pieces(block["text"], size))
        elif kind == "thinking":
            deltas = [
                *(
                    {"type": "thinking_delta", "thinking": p}
                    for p in _pieces(block["thinking"], size)
                ),
                {"type": "signature_delta", "signature": block["signature"]},
            ]
        elif kind == "tool_use":
            encoded = json.dumps(block["input"])
            deltas = (
                {"type": "input_json_delta", "partial_json": p} for p in _pieces(encoded, size * 2)
            )
        for delta in deltas:
            yield (
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    usage = message["usage"]
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {
                "input_tokens": usage["input_tokens"],
                "output_tokens": usage["output_tokens"],
                "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                "cache_read_input_tokens": usage["cache_read_input_tokens"],
            },
        },
    )
    yield "message_stop", {"type": "message_stop"}


@contextlib.contextmanager
def unaccepting_host(host: str = "127.0.0.1") -> Iterator[str]:
    """The URL of a host that never accepts a connection: its listen queue is full, so a
    new connection's handshake gets no answer (Linux drops it) until the client gives up."""
    server = socket.socket()
    waiting: list[socket.socket] = []
    try:
        server.bind((host, 0))
        server.listen(0)
        port = server.getsockname()[1]
        for _ in range(3):  # more than the queue holds
            client = socket.socket()
            client.setblocking(False)
            waiting.append(client)
            with contextlib.suppress(BlockingIOError):
                client.connect((host, port))
        yield f"http://{host}:{port}"
    finally:
        for client in waiting:
            client.close()
        server.close()


class FakeAnthropic:
    """A fake Messages API on ``127.0.0.1`` (a free port unless ``port`` is given).

    ``api_key``: when set, a request with another key (``x-api-key`` or
    ``Authorization: Bearer``) gets 401. ``not_found_models``: model ids
    answered with 404 ``not_found_error`` (as a retired id is). ``strict``
    (default True): reject, with the real API's 400 messages, a conversation
    whose ``tool_use``/``tool_result`` pairing is broken, empty text blocks, or
    more than 4 cache breakpoints.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        not_found_models: Iterable[str] = (),
        strict: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key
        self.not_found_models = set(not_found_models)
        self.strict = strict
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._cache: dict[str, int] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle --

    def start(self) -> FakeAnthropic:
        """Start serving in a background thread; returns self."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (slow streams end at once)."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL for the SDK (``base_url=`` or ``ANTHROPIC_BASE_URL``)."""
        return f"http://{self.host}:{self.port}"

    # -- replies and records --

    def enqueue(self, *replies: str | dict[str, Any] | Reply) -> FakeAnthropic:
        """Queue replies, used one per ``/v1/messages`` request in order."""
        converted = [Reply.from_spec(r) for r in replies]
        with self._lock:
            self._replies.extend(converted)
        return self

    @property
    def queued(self) -> int:
        """Replies still waiting in the queue."""
        with self._lock:
            return len(self._replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies of the ``/v1/messages`` requests received so far."""
        return [r.body for r in self.requests if r.path == "/v1/messages"]

    def reset(self) -> None:
        """Forget queued replies, recorded requests and the simulated prompt cache."""
        with self._lock:
            self._replies.clear()
            self._requests.clear()
            self._cache.clear()

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> list[RecordedRequest]:
        """Wait until ``count`` requests have arrived (for tests in other processes' pace);
        ``TimeoutError`` saying how many came when ``timeout`` runs out."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"waited {timeout:g} s for {count} requests; {len(self.requests)} came"
                )
            time.sleep(0.01)
        return self.requests

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        return Reply.from_spec(_default_text(body))

    # -- answers --

    def _usage(self, body: dict[str, Any], content: list[dict[str, Any]]) -> dict[str, int]:
        """Token counts, with a simulated prompt cache.

        The prompt up to the last ``cache_control`` breakpoint is the cached
        part: the longest prefix of it seen before (at any message boundary) is
        read from the cache, the rest of it is written; what follows the
        breakpoint is plain input, as the real API counts it.
        """
        head = {"tools": body.get("tools"), "system": body.get("system")}
        messages = body["messages"]
        sizes = [_tokens(_uncached(head))] + [_tokens(_uncached(m)) for m in messages]
        cumulative = [sum(sizes[: i + 1]) for i in range(len(sizes))]
        marked = [i + 1 for i, m in enumerate(messages) if "cache_control" in json.dumps(m)]
        if marked:
            boundary = marked[-1]
        elif "cache_control" in json.dumps(head):
            boundary = 0
        else:
            boundary = None
        read = write = 0
        if boundary is not None:
            keys = [
                hashlib.sha256(json.dumps(_uncached([head, messages[:j]])).encode()).hexdigest()
                for j in range(boundary + 1)
            ]
            with self._lock:
                hit = next((j for j in range(boundary, -1, -1) if keys[j] in self._cache), None)
                read = cumulative[hit] if hit is not None else 0
                for key in keys:
                    self._cache[key] = 1
            write = cumulative[boundary] - read
        cached = cumulative[boundary] if boundary is not None else 0
        output = sum(
            _tokens(b.get("text") or b.get("thinking") or b.get("input") or "") for b in content
        )
        return {
            "input_tokens": cumulative[-1] - cached,
            "output_tokens": output,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content = [dict(b) for b in reply.content]
        usage = self._usage(body, content)
        usage.update(reply.usage or {})
        stop = reply.stop_reason or (
            "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
        )
        return {
            "id": f"msg_fake_{uuid.uuid4().hex[:20]}",
            "type": "message",
            "role": "assistant",
            "model": reply.model or body.get("model") or DEFAULT_MODEL,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }


def _default_text(body: dict[str, Any]) -> str:
    """The answer when no reply is queued."""
    last = next((m for m in reversed(body.get("messages") or []) if m.get("role") == "user"), None)
    if last is None:
        return "Hello."
    content = last.get("content")
    results = [
        b for b in (content if isinstance(content, list) else []) if b.get("type") == "tool_result"
    ]
    text = _text_of(content).strip()
    if "2 + 2" in text:
        return "4"
    if text:
        return f"Echo: {text}"
    if results:
        outputs = [_text_of(r.get("content")) for r in results]
        return "The tool returned: " + "; ".join(outputs)
    return "Echo."


# -- command line ---------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT (see the module docstring)."""
    parser = argparse.ArgumentParser(description="A fake Anthropic Messages API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", help="JSON file: a list of replies, or an object")
    parser.add_argument("--api-key", help="answer 401 to any other x-api-key")
    args = parser.parse_args(argv)
    options: dict[str, Any] = {}
    replies: list[Any] = []
    if args.script:
        with open(args.script, encoding="utf-8") as handle:
            script = json.load(handle)
        if isinstance(script, dict):
            replies = script.get("replies", [])
            options["not_found_models"] = script.get("not_found_models", [])
            options["api_key"] = script.get("api_key")
            options["strict"] = script.get("strict", True)
        else:
            replies = script
    if args.api_key:
        options["api_key"] = args.api_key
    fake = FakeAnthropic(host=args.host, port=args.port, **options).start()
    fake.enqueue(*replies)
    print(f"FAKE_ANTHROPIC_URL={fake.url}", flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
