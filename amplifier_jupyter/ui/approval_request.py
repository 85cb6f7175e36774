"""One approval question and what can show it: the model that the approval system, the card
and the text prompt share, so that none of them imports another.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from typing import Any, Protocol

# The policy's own decision words, asked by the approval hook (docs/design.md, fact 8).
LOOP_OPTIONS = ("Allow once", "Allow always", "Deny")


class ApprovalRequest:
    """One pending question: what is asked, its options, and how it ended.

    ``timeout`` None: it waits until answered or stopped (an ``ApprovalProvider``'s
    request may say so). ``choose()`` may be called from any thread (JupyterLab may handle widget
    messages on a subshell thread: docs/design.md, fact 13); the answer reaches the
    waiting coroutine through ``loop.call_soon_threadsafe``.
    """

    def __init__(
        self,
        prompt: str,
        options: list[str],
        timeout: float | None,
        default: str,
        *,
        tool_name: str | None = None,
        tool_input: Any = None,
        child: str | None = None,
        review: dict[str, Any] | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.prompt = prompt
        self.options = list(options)
        self.timeout = float(timeout) if timeout is not None else None
        self.default = default
        self.tool_name = tool_name
        self.tool_input = tool_input
        self.child = child
        # What the call would change, from its tool (hooks_notebook_approval/_review.py):
        # the card draws its title and lines; its options give each label's decision.
        self.review = review
        self.deadline = self.loop.time() + self.timeout if self.timeout is not None else math.inf
        self.future: asyncio.Future[str] = self.loop.create_future()
        # How it ended: an option, "timeout", "stopped" or "headless"; None while pending.
        self.outcome: str | None = None
        # Why nobody could answer (the outcome "headless").
        self.nobody: str | None = None
        self._on_close: list[Callable[[ApprovalRequest], None]] = []

    @property
    def from_loop(self) -> bool:
        """Whether the approval policy asked about a tool (it emits the ``approval:*`` events
        and ends the question itself on Stop), not a hook's ``ask_user``."""
        return self.tool_name is not None

    def remaining(self) -> float:
        """Seconds until the default applies (``inf`` without a timeout)."""
        return max(0.0, self.deadline - self.loop.time())

    def choose(self, option: str) -> None:
        """The user picked ``option`` (thread-safe)."""
        self.loop.call_soon_threadsafe(self._resolve, option)

    def _resolve(self, option: str) -> None:
        if not self.future.done():
            self.future.set_result(option)

    def on_close(self, callback: Callable[[ApprovalRequest], None]) -> None:
        """Call ``callback(request)`` once the request has ended."""
        if self.outcome is not None:
            callback(self)
        else:
            self._on_close.append(callback)

    def close(self, outcome: str) -> None:
        """Record how the request ended and tell whoever shows it."""
        if self.outcome is not None:
            return
        self.outcome = outcome
        for callback in self._on_close:
            with contextlib.suppress(Exception):  # a broken card must not break the run
                callback(self)
        self._on_close.clear()

    @property
    def allowed(self) -> bool:
        """Whether the answer lets the call go on (an allow word, or a hook's non-deny option)."""
        if self.outcome in (None, "timeout", "stopped", "headless"):
            return False
        for option in (self.review or {}).get("options") or []:
            if option.get("label") == self.outcome:
                return str(option.get("decision")).lower() != "deny"
        word = self.outcome.strip().lower()
        return word in ("allow", "allow once", "allow always") or (
            self.outcome in self.options and word not in ("deny", "no")
        )

    def describe_outcome(self) -> str:
        """One line: what was decided, and why if nobody decided."""
        if self.outcome == "timeout" and self.timeout is not None:
            return f"no answer within {self.timeout:g} s: {self.default} applied"
        if self.outcome == "timeout":
            return f"no answer: {self.default} applied"
        if self.outcome == "headless":
            return f"nobody can answer here ({self.nobody or 'headless'}): {self.default} applied"
        if self.outcome == "stopped":
            return "stopped: denied"
        return f"{self.outcome}"


class ApprovalHost(Protocol):
    """Something that can show an approval request (a run's panel or text view).

    A host may also have ``async def nobody_answers() -> str | None``: awaited beside
    the answer, it returns why nobody can answer (the question then gets its default
    at once), or None when someone may (``ui/approval_headless.py``).
    """

    def show_approval(self, request: ApprovalRequest) -> None:
        """Show the question; call ``request.choose(option)`` on an answer."""
