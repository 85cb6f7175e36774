"""``JupyterApprovalSystem``: Amplifier's approval protocol, answered in the notebook.

``request_approval(prompt, options, timeout, default)`` shows the question
with one button per option (the loop's ``Allow once`` / ``Allow always`` /
``Deny``, or a hook's own options) and waits — on the kernel's loop, never
blocking it — for a click, the timeout or a stop. Where it shows:

* inside the running cell's panel (or text view) when one is attached as
  ``host`` (the magic does this for each run);
* otherwise as a card of its own in the cell that is running (a plain
  ``AmplifierSession(config, approval_system=JupyterApprovalSystem())``), or
  as a text prompt where widgets cannot show (terminal IPython).

The kernel never says which tool is asking (docs/design.md, fact 8); the loop
announces it with ``approval:required`` just before asking, and
:meth:`JupyterApprovalSystem.on_event` keeps that for the question. With a
plain session, :meth:`JupyterApprovalSystem.watch` subscribes to it.

On timeout it raises ``ApprovalTimeoutError`` (the protocol's way; the loop
and the kernel then apply the default and say so), after the card has said
what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Protocol

from amplifier_jupyter.ui.environment import widgets_available

# The loop's own decision words (docs/design.md, fact 8).
LOOP_OPTIONS = ("Allow once", "Allow always", "Deny")
# A cancellation this close to the deadline is the loop's own timeout, not a stop.
DEADLINE_SLACK = 0.25


class ApprovalRequest:
    """One pending question: what is asked, its options, and how it ended.

    ``choose()`` may be called from any thread (JupyterLab may handle widget
    messages on a subshell thread: docs/design.md, fact 13); the answer reaches the
    waiting coroutine through ``loop.call_soon_threadsafe``.
    """

    def __init__(
        self,
        prompt: str,
        options: list[str],
        timeout: float,
        default: str,
        *,
        tool_name: str | None = None,
        tool_input: Any = None,
        child: str | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.prompt = prompt
        self.options = list(options)
        self.timeout = float(timeout)
        self.default = default
        self.tool_name = tool_name
        self.tool_input = tool_input
        self.child = child
        self.deadline = self.loop.time() + self.timeout
        self.future: asyncio.Future[str] = self.loop.create_future()
        # How it ended: an option, "timeout" or "stopped"; None while pending.
        self.outcome: str | None = None
        self._on_close: list[Callable[[ApprovalRequest], None]] = []

    @property
    def from_loop(self) -> bool:
        """Whether the loop asked (it emits the ``approval:*`` events itself)."""
        return self.tool_name is not None

    def remaining(self) -> float:
        """Seconds until the default applies."""
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
        if self.outcome in (None, "timeout", "stopped"):
            return False
        word = self.outcome.strip().lower()
        return word in ("allow", "allow once", "allow always") or (
            self.outcome in self.options and word not in ("deny", "no")
        )

    def describe_outcome(self) -> str:
        """One line: what was decided, and why if nobody decided."""
        if self.outcome == "timeout":
            return f"no answer within {self.timeout:g} s: {self.default} applied"
        if self.outcome == "stopped":
            return "stopped: denied"
        return f"{self.outcome}"


class ApprovalHost(Protocol):
    """Something that can show an approval request (a run's panel or text view)."""

    def show_approval(self, request: ApprovalRequest) -> None:
        """Show the question; call ``request.choose(option)`` on an answer."""


class JupyterApprovalSystem:
    """Amplifier's ``ApprovalSystem`` for notebooks (see the module docstring)."""

    def __init__(self) -> None:
        self.host: ApprovalHost | None = None
        self.pending: list[ApprovalRequest] = []
        self._announced: dict[str, Any] | None = None

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        """Keep the loop's ``approval:required`` (tool and input) for the next question."""
        if event == "approval:required":
            self._announced = dict(data)

    def watch(self, coordinator: Any) -> None:
        """Subscribe to a plain session's ``approval:required`` events (its coordinator)."""
        from amplifier_core import HookResult

        async def announced(event: str, data: dict[str, Any]) -> Any:
            self.on_event(event, data)
            return HookResult()

        coordinator.hooks.register(
            "approval:required", announced, priority=1000, name="notebook-approval"
        )

    async def request_approval(
        self, prompt: str, options: list[str], timeout: float, default: str = "deny"
    ) -> str:
        """Ask, wait for an answer, and return the chosen option.

        Raises ``ApprovalTimeoutError`` when nobody answers in ``timeout``
        seconds; a stop (the task is cancelled) closes the question as denied.
        """
        announced, self._announced = self._announced, None
        loop_asks = announced is not None and tuple(options) == LOOP_OPTIONS
        request = ApprovalRequest(
            prompt,
            options,
            timeout,
            default,
            tool_name=announced.get("tool_name") if loop_asks else None,
            tool_input=announced.get("tool_input") if loop_asks else None,
            child=announced.get("child") if loop_asks else None,
        )
        self.pending.append(request)
        try:
            self._show(request)
            choice = await asyncio.wait_for(request.future, timeout=max(0.0, request.timeout))
        except TimeoutError:
            request.close("timeout")
            from amplifier_core.approval import ApprovalTimeoutError

            raise ApprovalTimeoutError(request.describe_outcome()) from None
        except asyncio.CancelledError:
            near_deadline = request.remaining() <= DEADLINE_SLACK
            request.close("timeout" if near_deadline else "stopped")
            raise
        finally:
            with contextlib.suppress(ValueError):
                self.pending.remove(request)
        request.close(choice)
        return choice

    def _show(self, request: ApprovalRequest) -> None:
        host = self.host
        if host is not None and hasattr(host, "show_approval"):
            host.show_approval(request)
        elif widgets_available():
            from amplifier_jupyter.ui.approval_card import show_standalone

            show_standalone(request)
        else:
            from amplifier_jupyter.ui.text import ask_in_text

            ask_in_text(request)

    def deny_pending(self) -> None:
        """A stop: close the questions the loop is not watching (a hook's ``ask_user``) as denied.

        The loop's own questions are cancelled by the loop at its next
        cancellation check, which closes them as stopped.
        """
        for request in list(self.pending):
            if not request.from_loop:
                request.close("stopped")
                request.choose("deny")
