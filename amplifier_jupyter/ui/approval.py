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
from typing import Any

from amplifier_jupyter.ui.approval_request import LOOP_OPTIONS, ApprovalHost, ApprovalRequest
from amplifier_jupyter.ui.environment import widgets_available

# A cancellation this close to the deadline is the loop's own timeout, not a stop.
DEADLINE_SLACK = 0.25


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
        # Only the loop's own question is about the tool it announced.
        about = announced if announced is not None and tuple(options) == LOOP_OPTIONS else {}
        request = ApprovalRequest(
            prompt,
            options,
            timeout,
            default,
            tool_name=about.get("tool_name"),
            tool_input=about.get("tool_input"),
            child=about.get("child"),
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
