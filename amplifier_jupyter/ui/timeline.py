"""A run's events as a compact timeline: pure logic, shared by the panel and the text view.

Each event that matters to a person becomes an :class:`Entry` (one short
line, an optional detail); a later event may complete an earlier entry (a
tool's result, a model call's latency and tokens). Totals for the run
(model calls, tokens, cost) are kept on the side for the status line, and so
is what an open model call waits for (:meth:`Timeline.waiting`: how long
nothing has come, and the retry it is on).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from amplifier_jupyter.events.model_calls import ModelCalls
from amplifier_jupyter.events.usage import Usage, UsageSum
from amplifier_jupyter.modules._tool_input import tool_input_text

# Short marks for the kinds of entry; the panel colours them, the text view prints them.
MARKS = {
    "prompt": "›",
    "model": "◆",
    "said": "“",
    "tool": "⚙",
    "approval": "?",
    "allowed": "✓",
    "denied": "✗",
    "error": "!",
    "fork": "⑂",
    "message": "i",
    "stop": "■",
    "note": "·",
}


# A silence shorter than this, in an open model call, is not worth a word.
QUIET_SECONDS = 2.0


def shorten(value: Any, limit: int = 120) -> str:
    """One line of at most ``limit`` characters for any value."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_tool_input(tool_input: Any, limit: int = 120) -> str:
    """A tool's input in one line: code as code, anything else as compact JSON."""
    return shorten(tool_input_text(tool_input), limit)


def describe_tool_result(result: Any, limit: int = 160) -> tuple[str, bool]:
    """``(summary, ok)`` of a ``tool:post`` result (a ``ToolResult`` dump or anything)."""
    if isinstance(result, dict) and ("output" in result or "success" in result):
        if result.get("success") is False:
            error = result.get("error") or {}
            message = error.get("message") if isinstance(error, dict) else error
            return shorten(message or result.get("output") or "failed", limit), False
        return shorten(result.get("output", ""), limit), True
    return shorten(result, limit), True


@dataclass
class Entry:
    """One line of the timeline."""

    kind: str
    text: str
    detail: str = ""  # what went in (a tool's input), shown after the text
    result: str = ""  # what came out (a tool's result), shown last
    level: str = "info"  # info | success | warning | error
    child: str | None = None
    # Images this entry is about (the "sent:" line's): label, width, height, media_type
    # and thumbnail (a data: URI of a PNG at most 64 px, "" without Pillow).
    images: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """Whether a later event will complete this entry (a call still running)."""
        return self.text.endswith("…") or self.result == "…"

    @property
    def mark(self) -> str:
        """The short mark printed before the line."""
        return MARKS.get(self.kind, "·")

    def as_text(self) -> str:
        """The line in plain text: mark, child, text, what went in, what came out."""
        who = f"{self.child} › " if self.child else ""
        detail = f" {self.detail}" if self.detail else ""
        result = f" → {self.result}" if self.result else ""
        return f"{self.mark} {who}{self.text}{detail}{result}"


def _describe_call(facts: dict[str, Any]) -> str:
    """``model · 1.2 s · 1,234 in · 56 out · $0.0012 · 2 tool calls`` from a call's reports."""
    usage: Usage = facts["usage"]
    parts = [str(facts.get("model") or facts.get("provider") or "model")]
    replayed = facts.get("replayed")
    if isinstance(replayed, dict):  # a recorded call (amplifier_jupyter/replay/provider.py)
        parts.append(f"replayed · recorded {replayed.get('recorded') or '?'}")
        parts.append(f"{usage.tokens_in:,} in · {usage.output_tokens:,} out · $0")
        return " · ".join(parts)
    if facts.get("latency_ms") is not None:
        with contextlib.suppress(TypeError, ValueError):
            parts.append(f"{int(facts['latency_ms']) / 1000:.1f} s")
    parts.append(f"{usage.tokens_in:,} in · {usage.output_tokens:,} out")
    if usage.cost_usd:
        parts.append(f"${usage.cost_usd:.4f}")
    calls = facts.get("tool_calls")
    if calls is True:  # loop-basic says whether, not how many
        parts.append("tool calls")
    elif isinstance(calls, int | list) and not isinstance(calls, bool) and calls:
        count = calls if isinstance(calls, int) else len(calls)
        parts.append(f"{count} tool call{'s' if count != 1 else ''}")
    return " · ".join(parts)


def describe_seconds(seconds: float) -> str:
    """``20 s``, ``2 min 05 s``: whole seconds, for a clock that ticks once a second."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest:02d} s"


def _retry_count(data: dict[str, Any]) -> str:
    """``retry 1 of 3`` from a ``provider:retry`` payload (as much as it says)."""
    attempt = data.get("attempt")
    most = data.get("max_retries")
    text = "retry" + (f" {attempt}" if attempt else "")
    if attempt and isinstance(most, int) and not isinstance(most, bool):
        text += f" of {most}"
    return text


def _retry_reason(data: dict[str, Any]) -> str:
    """``529``, ``stream cut``, ``30 s with no answer`` (empty when the payload gives none)."""
    why = data.get("reason") or data.get("status") or data.get("error_type")
    return shorten(why, 60) if why else ""


def describe_retry(data: dict[str, Any]) -> str:
    """``retry 1 of 3 after 529`` from a ``provider:retry`` payload."""
    why = _retry_reason(data)
    return _retry_count(data) + (f" after {why}" if why else "")


@dataclass
class _Wait:
    """An open model call: since when nothing has come, and the retry it is on."""

    since: float
    retry: str = ""


class Timeline:
    """Entries built from events, with the run's totals (see the module docstring).

    ``clock`` gives the time in seconds (monotonic) for :meth:`waiting`.
    """

    def __init__(
        self, focus: str | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # The child session whose events are the run's own (a --child cell), else None.
        self.focus = focus
        self._clock = clock
        # Per session (None: the run's own): its model call that is open, if any.
        self._waits: dict[str | None, _Wait] = {}
        self.entries: list[Entry] = []
        # The run's own model calls (not its children's), for the status line.
        self.totals = UsageSum()
        # orchestrator:complete's status once known: success | incomplete | cancelled | error.
        self.status: str | None = None
        self._open_model: dict[str | None, Entry] = {}
        # Per session (None: the run's own): its calls, each counted once (ModelCalls), and
        # the last call's line with what its reports said, for the report that follows.
        self._calls: dict[str | None, ModelCalls] = {}
        self._last_call: dict[str | None, tuple[Entry, dict[str, Any]]] = {}
        # Hook questions whose outcome the view already wrote (from the question itself).
        self._decided: set[str] = set()
        self._open_tools: dict[str, Entry] = {}

    def add(self, kind: str, text: str, **fields: Any) -> Entry:
        """Append an entry and return it."""
        entry = Entry(kind, text, **fields)
        self.entries.append(entry)
        return entry

    def sent_images(self, images: list[dict[str, Any]]) -> None:
        """The images that went with the prompt: on the latest "sent:" entry."""
        for entry in reversed(self.entries):
            if entry.kind == "note" and entry.text.startswith("sent: "):
                entry.images = list(images)
                return

    def on_event(self, event: str, data: dict[str, Any]) -> bool:
        """Take one event; True when the entries or totals changed."""
        child = data.get("child")
        if child is not None and child == self.focus:
            child = None
        handler = getattr(self, "_on_" + event.replace(":", "_"), None)
        if handler is None:
            return False
        return handler(data, child) is not False

    # -- one method per event; ``child`` names a child session's events ----

    def _on_prompt_submit(self, data: dict[str, Any], child: str | None) -> None:
        self.add("prompt", shorten(data.get("prompt", ""), 100), child=child)

    def _on_provider_request(self, data: dict[str, Any], child: str | None) -> None:
        self._model_calls(child).first_report("provider:request", data)
        model = data.get("model") or data.get("provider") or "model"
        self._open_model[child] = self.add("model", f"{model} …", child=child)
        self._last_call.pop(child, None)
        self._waits[child] = _Wait(self._clock())

    def _on_llm_request(self, data: dict[str, Any], child: str | None) -> bool:
        # The provider's own word that a call began (under a loop that sends no
        # provider:request, the only one).
        if child not in self._waits:
            self._waits[child] = _Wait(self._clock())
        return False

    def _alive(self, child: str | None) -> bool:
        """The model sent something: the wait starts again, and a retry is behind it."""
        wait = self._waits.get(child)
        if wait is not None:
            wait.since, wait.retry = self._clock(), ""
        return False

    def _on_content_block_start(self, data: dict[str, Any], child: str | None) -> bool:
        return self._alive(child)

    def _on_content_block_delta(self, data: dict[str, Any], child: str | None) -> bool:
        return self._alive(child)

    def _on_thinking_delta(self, data: dict[str, Any], child: str | None) -> bool:
        return self._alive(child)

    def _model_calls(self, child: str | None) -> ModelCalls:
        calls = self._calls.get(child)
        if calls is None:
            calls = self._calls[child] = ModelCalls()
        return calls

    def _on_llm_response(self, data: dict[str, Any], child: str | None) -> bool:
        self._waits.pop(child, None)
        return self._model_report("llm:response", data, child)

    def _on_provider_response(self, data: dict[str, Any], child: str | None) -> bool:
        self._waits.pop(child, None)
        return self._model_report("provider:response", data, child)

    def _on_content_block_end(self, data: dict[str, Any], child: str | None) -> bool:
        self._alive(child)
        return self._model_report("content_block:end", data, child)

    def _model_report(self, event: str, data: dict[str, Any], child: str | None) -> bool:
        """A model call reported: its line gets what this report says, counted once."""
        usage = self._model_calls(child).first_report(event, data)
        if usage is None:
            last = self._last_call.get(child)
            if last is None or event == "content_block:end":
                return False  # nothing to add to (or a block of a call already shown)
            entry, facts = last
        else:
            if child is None:
                self.totals.add(usage)
            opened = self._open_model.pop(child, None)
            entry = opened if opened is not None else self.add("model", "", child=child)
            facts = {"usage": usage}
            self._last_call[child] = (entry, facts)
        for key in ("model", "provider", "latency_ms", "tool_calls", "replayed"):
            if data.get(key) not in (None, "") and facts.get(key) in (None, ""):
                facts[key] = data[key]
        entry.text = _describe_call(facts)
        return True

    def _on_provider_error(self, data: dict[str, Any], child: str | None) -> None:
        self._waits.pop(child, None)
        self._open_model.pop(child, None)
        self._last_call.pop(child, None)
        error = data.get("error", "")
        kind = data.get("error_type") or "error"
        if isinstance(error, dict):  # loop-basic's and loop-notebook's {type, msg}
            kind, error = error.get("type") or kind, error.get("msg") or ""
        self.add("error", f"{kind}: {shorten(error, 160)}", level="error", child=child)

    def _on_provider_retry(self, data: dict[str, Any], child: str | None) -> None:
        """``retry 2 of 4 (stream cut) in 2.0 s``: the call starts over (the panel drops its
        text so far), and so does its wait (:meth:`waiting`)."""
        wait = self._waits.setdefault(child, _Wait(self._clock()))
        wait.since, wait.retry = self._clock(), describe_retry(data)
        text = _retry_count(data)
        why = _retry_reason(data)
        if why:
            text += f" ({why})"
        delay = data.get("delay") or data.get("retry_after")
        if delay:
            with contextlib.suppress(TypeError, ValueError):
                text += f" in {float(delay):.1f} s"
        if data.get("error") and not data.get("reason"):
            text += f": {shorten(data['error'], 120)}"
        self.add("note", text, level="warning", child=child)

    def waiting(self) -> str | None:
        """What an open model call waits for, while nothing comes from the model:
        ``waiting for the model · 20 s · retry 1 of 3 after 529`` (a child session's:
        ``helper › waiting ...``). None when no call is open, or its answer is
        streaming in (a silence under ``QUIET_SECONDS`` with no retry)."""
        now = self._clock()
        for child in sorted(self._waits, key=lambda name: name is not None):  # the run's first
            wait = self._waits[child]
            silent = now - wait.since
            if silent < QUIET_SECONDS and not wait.retry:
                continue
            text = f"waiting for the model · {describe_seconds(silent)}"
            if wait.retry:
                text += f" · {wait.retry}"
            return f"{child} › {text}" if child else text
        return None

    def _on_tool_pre(self, data: dict[str, Any], child: str | None) -> None:
        self._waits.pop(child, None)  # the model has answered: a tool runs
        name = data.get("tool_name", "tool")
        entry = self.add(
            "tool", name, detail=describe_tool_input(data.get("tool_input", {})), child=child
        )
        entry.result = "…"
        self._open_tools[str(data.get("tool_call_id"))] = entry

    def _tool_entry(self, data: dict[str, Any], child: str | None) -> Entry:
        entry = self._open_tools.pop(str(data.get("tool_call_id")), None)
        if entry is None:
            entry = self.add(
                "tool",
                str(data.get("tool_name", "tool")),
                detail=describe_tool_input(data.get("tool_input", {})),
                child=child,
            )
        return entry

    def _on_tool_post(self, data: dict[str, Any], child: str | None) -> None:
        entry = self._tool_entry(data, child)
        summary, ok = describe_tool_result(data.get("result"))
        entry.result = summary or "(no output)"
        if not ok:
            entry.level = "error"

    def _on_tool_error(self, data: dict[str, Any], child: str | None) -> None:
        entry = self._tool_entry(data, child)
        error = data.get("error") or {}
        message = error.get("msg") or error.get("message") if isinstance(error, dict) else error
        entry.result = f"failed: {shorten(message or '', 140)}"
        entry.level = "error"

    def _on_approval_required(self, data: dict[str, Any], child: str | None) -> bool:
        return False  # the approval card shows the question; the decision gets the line

    def decided(self, prompt: str, kind: str, text: str, level: str, child: str | None) -> None:
        """A hook's question ended (seen by the view); its approval event adds nothing more."""
        self._decided.add(prompt)
        self.add(kind, text, level=level, child=child)

    def _seen(self, data: dict[str, Any]) -> bool:
        prompt = data.get("prompt")
        if data.get("source") == "hook" and prompt in self._decided:
            self._decided.discard(prompt)
            return True
        return False

    def _on_approval_granted(self, data: dict[str, Any], child: str | None) -> bool:
        if self._seen(data):
            return False
        decision = str(data.get("decision") or "allow")
        text = f"{data.get('tool_name', 'tool')}: {decision}"
        if data.get("reason"):
            text += f" ({data['reason']})"
        self.add("allowed", text, level="success", child=child)
        return True

    def _on_approval_denied(self, data: dict[str, Any], child: str | None) -> bool:
        if self._seen(data):
            return False
        reason = data.get("reason") or "denied"
        self.add(
            "denied", f"{data.get('tool_name', 'tool')}: {reason}", level="warning", child=child
        )
        return True

    def _on_session_fork(self, data: dict[str, Any], child: str | None) -> None:
        name = child or data.get("name") or data.get("child_id") or data.get("session_id") or ""
        self.add("fork", f"child session {name}".strip())

    def _on_orchestrator_complete(self, data: dict[str, Any], child: str | None) -> bool:
        if child is not None:
            self._waits.pop(child, None)
            return False
        self._waits.clear()
        self.status = str(data.get("status") or "success")
        if self.status == "cancelled":
            self.add("stop", "stopped", level="warning")
        for entry in self._open_tools.values():
            entry.result = "not finished"
        for entry in self._open_model.values():
            entry.text = entry.text.removesuffix(" …") + " (not finished)"
        self._open_tools.clear()
        self._open_model.clear()
        return True

    def message(self, message: str, level: str = "info", source: str | None = None) -> Entry:
        """A message for the user (``display_system.show_message``)."""
        level = {"warn": "warning"}.get(level, level)
        text = f"{source}: {message}" if source else message
        return self.add("message", shorten(text, 300), level=level)

    @property
    def model_calls(self) -> int:
        """The run's own model calls so far."""
        return self.totals.calls

    @property
    def input_tokens(self) -> int:
        """Their input tokens, cache reads and writes included."""
        return self.totals.tokens_in

    @property
    def output_tokens(self) -> int:
        return self.totals.output_tokens

    @property
    def cost(self) -> Decimal:
        """What the priced ones cost."""
        return self.totals.cost_usd

    def describe_totals(self) -> str:
        """``2 model calls · 1,234 in · 56 out · $0.0012`` (empty before any call)."""
        if not self.model_calls:
            return ""
        parts = [
            f"{self.model_calls} model call{'s' if self.model_calls != 1 else ''}",
            f"{self.input_tokens:,} in · {self.output_tokens:,} out",
        ]
        if self.cost or self.totals.unpriced:
            parts.append(self.totals.cost_text())
        return " · ".join(parts)
