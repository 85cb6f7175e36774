"""``JupyterApprovalSystem``: Amplifier's approval protocol, answered in the notebook.

``request_approval(prompt, options, timeout, default)`` shows the question
with one button per option (a hook's own options, through the kernel's
``process_hook_result``) and waits — on the kernel's loop, never blocking it —
for a click, the timeout or a stop. ``request_tool_approval`` does the same
for the approval policy's own questions (``hooks-notebook-approval``), which
say which tool asks, with what input, and offer ``Allow once`` / ``Allow
always`` / ``Deny``. Where it shows:

* inside the running cell's panel (or text view) when one is attached as
  ``host`` (the magic does this for each run);
* otherwise as a card of its own in the cell that is running (a plain
  ``AmplifierSession(config, approval_system=JupyterApprovalSystem())``), or
  as a text prompt where widgets cannot show (terminal IPython).

The kernel never says which tool is asking (docs/design.md, fact 8): a hook
that announces its question with ``approval:required`` (tool and input) just
before asking gets it named through :meth:`JupyterApprovalSystem.on_event`.
:meth:`JupyterApprovalSystem.watch` gives a plain session the notebook's
approval policy (the hook), as the kernel's own sessions have it.

On timeout it raises ``ApprovalTimeoutError`` (the protocol's way; the hook
and the kernel then apply the default and say so), after the card has said
what happened. When nobody can answer, it raises ``ApprovalTimeoutError`` at
once, marked ``headless``, and one line in the cell says so and how to set a
policy: where :attr:`JupyterApprovalSystem.headless` says so before asking
(``AMPLIFIER_JUPYTER_HEADLESS=1``; no view, no widgets, no terminal), or where
the run's panel has no view to show the question (``ui/approval_headless.py``:
no view reported itself, and the run is nbclient's, or none came in a grace).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from amplifier_jupyter.ui.approval_headless import HEADLESS_SET, headless_setting, policy_hint
from amplifier_jupyter.ui.approval_request import LOOP_OPTIONS, ApprovalHost, ApprovalRequest
from amplifier_jupyter.ui.environment import widgets_available
from amplifier_jupyter.ui.view import say

# A cancellation this close to the deadline is the loop's own timeout, not a stop.
DEADLINE_SLACK = 0.25


def _stdin_is_a_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


class JupyterApprovalSystem:
    """Amplifier's ``ApprovalSystem`` for notebooks (see the module docstring)."""

    def __init__(self) -> None:
        self.host: ApprovalHost | None = None
        self.pending: list[ApprovalRequest] = []
        self._announced: dict[str, Any] | None = None

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        """Keep the approval hook's ``approval:required`` (tool and input) for the next
        question."""
        if event == "approval:required":
            self._announced = dict(data)

    def watch(self, coordinator: Any, policy: Any = None) -> Any:
        """Give a plain session (its coordinator) the notebook's approval policy.

        Installs the ``hooks-notebook-approval`` hook asking through this system, as
        the kernel installs it on its own sessions: ``policy`` (an ``ApprovalPolicy``),
        else the notebook's, the one ``%amplifier approve`` sets. Call it before the
        session's first ``execute()``; returns the hook.
        """
        from amplifier_jupyter.modules.hooks_notebook_approval import (
            install_approvals,
            notebook_policy,
        )

        return install_approvals(
            coordinator, policy if policy is not None else notebook_policy(), self
        )

    @property
    def headless(self) -> bool:
        """Whether nobody can answer a question here, before it is shown:
        ``AMPLIFIER_JUPYTER_HEADLESS`` says so (``0`` says never), or there is no run's
        view, no widgets and no terminal to type in."""
        setting = headless_setting()
        if setting is not None:
            return setting
        return self.host is None and not widgets_available() and not _stdin_is_a_terminal()

    async def request_approval(
        self, prompt: str, options: list[str], timeout: float, default: str = "deny"
    ) -> str:
        """Ask, wait for an answer, and return the chosen option.

        Raises ``ApprovalTimeoutError`` when nobody answers in ``timeout``
        seconds; a stop (the task is cancelled) closes the question as denied.
        """
        announced, self._announced = self._announced, None
        # Only a question in the policy's own words is about the tool announced.
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
        return await self._ask(request)

    async def request_tool_approval(
        self,
        tool_name: str,
        tool_input: Any,
        prompt: str,
        options: list[str],
        timeout: float | None,
        default: str = "deny",
        *,
        child: str | None = None,
        review: dict[str, Any] | None = None,
    ) -> str:
        """Ask whether ``tool_name`` may run with ``tool_input``; as :meth:`request_approval`,
        and ``timeout`` None waits until an answer or a stop. ``review``: what the call would
        change, drawn on the card (``hooks_notebook_approval/_review.py``)."""
        self._announced = None  # told directly: an announcement is not for a later question
        request = ApprovalRequest(
            prompt,
            options,
            timeout,
            default,
            tool_name=tool_name,
            tool_input=tool_input,
            child=child,
            review=review,
        )
        return await self._ask(request)

    async def _ask(self, request: ApprovalRequest) -> str:
        if self.headless:
            nobody = HEADLESS_SET if headless_setting() else "no widgets and no terminal here"
            raise self._unasked(request, nobody)
        host = self.host
        self.pending.append(request)
        try:
            self._show(request)
            timeout = max(0.0, request.timeout) if request.timeout is not None else None
            choice = await asyncio.wait_for(_answer(request, host), timeout=timeout)
        except TimeoutError:
            request.close("timeout")
            raise _timeout_error(request.describe_outcome()) from None
        except asyncio.CancelledError:
            near_deadline = request.remaining() <= DEADLINE_SLACK
            request.close("timeout" if near_deadline else "stopped")
            raise
        finally:
            with contextlib.suppress(ValueError):
                self.pending.remove(request)
        if choice is None:
            raise self._unasked(request, request.nobody or "no view")
        request.close(choice)
        return choice

    def _unasked(self, request: ApprovalRequest, nobody: str) -> Exception:
        """Nobody can answer: close the question, say so in one line; the error to raise."""
        request.nobody = nobody
        request.close("headless")
        what = request.tool_name or request.prompt
        outcome = request.describe_outcome()  # the timeline's and the model's reason
        say(f"{what}: {outcome}; {policy_hint(request.tool_name)}")
        return _timeout_error(outcome, headless=True)

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
        """A stop: close the questions nothing else watches (a hook's ``ask_user``) as denied.

        The approval policy's own questions end through the session's
        cancellation (the hook polls it), which closes them as stopped.
        """
        for request in list(self.pending):
            if not request.from_loop:
                request.close("stopped")
                request.choose("deny")


async def _answer(request: ApprovalRequest, host: Any) -> str | None:
    """The option chosen; None when the host finds that nobody can answer (its view never
    showed: ``ui/approval_headless.py``). A host without ``nobody_answers`` just waits."""
    nobody_answers = getattr(host, "nobody_answers", None)
    if nobody_answers is None:
        return await request.future
    check = asyncio.ensure_future(nobody_answers())
    try:
        await asyncio.wait({request.future, check}, return_when=asyncio.FIRST_COMPLETED)
        if request.future.done():
            return request.future.result()
        nobody = check.result()
        if nobody is None:
            return await request.future
        request.nobody = nobody
        return None
    finally:
        check.cancel()


def _timeout_error(message: str, *, headless: bool = False) -> Exception:
    """Amplifier's ``ApprovalTimeoutError``; ``headless`` marks one raised without asking."""
    from amplifier_core.approval import ApprovalTimeoutError

    error = ApprovalTimeoutError(message)
    error.headless = headless
    return error
