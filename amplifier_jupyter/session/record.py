"""What the kernel's own session and each of its children have in common: the live
:class:`amplifier_core.AmplifierSession`, its plan, what is counted about it, and one turn.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.modules._request_overrides import OVERRIDES
from amplifier_jupyter.replay.provider import wrap_for_replay
from amplifier_jupyter.session import stopping
from amplifier_jupyter.session.attachments import Attachments
from amplifier_jupyter.session.host_hook import HOST_HOOK
from amplifier_jupyter.session.model_choice import wrap_providers
from amplifier_jupyter.session.totals import Totals
from amplifier_jupyter.transcripts.writer import sync_messages

# Hooks of ours that status does not list as the plan's hooks.
INTERNAL_HOOKS = {HOST_HOOK, "notebook-approval"}


class SessionRecord:
    """One session of this kernel: the kernel's own (``name`` is None) or a child.

    Everything here is read-only outside it; its methods are the only way its state
    changes: :meth:`attach` when the session starts, :meth:`observe` for each of its
    events, :meth:`execute` for a turn, :meth:`restore` for a conversation brought back.
    """

    def __init__(
        self,
        plan: dict[str, Any] | None = None,
        *,
        name: str | None = None,
        agent: str | None = None,
    ) -> None:
        self._plan = plan
        self._name = name
        self._agent = agent
        self._session: Any = None
        self._loader: Any = None
        self._turns = 0
        self._totals = Totals()
        self._load_failures: list[str] = []
        self._running = False
        self._attachments = Attachments()

    @property
    def plan(self) -> dict[str, Any] | None:
        """The plan the session was started with (None: not started)."""
        return self._plan

    @property
    def name(self) -> str | None:
        """A child's name; None for the kernel's own session."""
        return self._name

    @property
    def agent(self) -> str | None:
        """The agent a ``session.spawn`` call named for this child, if any."""
        return self._agent

    @property
    def session(self) -> Any:
        """The initialized :class:`amplifier_core.AmplifierSession` (None: not started)."""
        return self._session

    @property
    def loader(self) -> Any:
        """The session's ``NotebookModuleLoader``: where each module came from, its notices."""
        return self._loader

    @property
    def turns(self) -> int:
        """Completed turns of the conversation."""
        return self._turns

    @property
    def totals(self) -> Totals:
        """Tokens and cost so far."""
        return self._totals

    @property
    def load_failures(self) -> list[str]:
        """One line per module that did not load (the kernel logs them and goes on)."""
        return self._load_failures

    @property
    def running(self) -> bool:
        """Whether a turn is going."""
        return self._running

    @property
    def session_id(self) -> str:
        """The session's id ("" before it starts)."""
        return self._session.session_id if self._session is not None else ""

    @property
    def parent_id(self) -> str | None:
        """The parent session's id (None for the kernel's own session)."""
        return self._session.parent_id if self._session is not None else None

    # -- lifecycle -----------------------------------------------------------

    def attach(self, *, loader: Any = None, session: Any = None) -> None:
        """The loader as soon as it exists (its notices count even if the start fails), then
        the session once it is initialized."""
        if loader is not None:
            self._loader = loader
        if session is not None:
            self._session = session

    def observe(self, event: str, data: dict[str, Any]) -> None:
        """Count what one of the session's events says: usage, a module that failed to load."""
        self._totals.observe(event, data)
        self._attachments.observe(event, data)
        if event == "module:load_failed":
            self._load_failures.append(f"{data.get('module_id')} did not load: {data.get('error')}")

    def restore(self, *, turns: int, totals: Totals) -> None:
        """Counts of a conversation brought back from its transcript."""
        self._turns = turns
        self._totals = totals

    def drop_turn(self) -> None:
        """A completed turn left the conversation (a cell re-run replaced it)."""
        self._turns = max(0, self._turns - 1)

    async def cleanup(self) -> None:
        """End the session (errors of its modules' cleanup are theirs, not the caller's)."""
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):
                await session.cleanup()

    async def request_cancel(self) -> None:
        """Ask the session's orchestrator to stop at its next safe point (docs/design.md,
        fact 3).

        The token is set here and now: amplifier-core's ``request_cancel`` sets it only
        once its future runs on a thread of its runtime, while the run goes on between
        events that no longer wait on that runtime (``modules/_emit.py``)."""
        if self._session is not None:
            coordinator = self._session.coordinator
            with contextlib.suppress(Exception):
                coordinator.cancellation.request_graceful()
            await coordinator.request_cancel()

    # -- a turn --------------------------------------------------------------

    async def execute(
        self,
        prompt: str,
        *,
        model: str | None = None,
        stop_requested: Callable[[], bool] | None = None,
        images: list[dict[str, Any]] | None = None,
    ) -> str:
        """Run one prompt and return the answer; the session's errors propagate as raised.

        ``images``: image blocks sent after the prompt's text, in its user message
        (``attachments.py``; so are the images a tool returns). ``model`` overrides the
        provider's model for this turn. ``stop_requested`` is asked
        once the turn's cancellation token is fresh: True cancels at once (a stop that came
        while the session was starting, before there was a token to set).
        """
        coordinator = self._session.coordinator
        if not coordinator.get("providers"):
            detail = "; ".join(self._load_failures) or "the plan names no provider"
            who = (
                "no provider is mounted"
                if self._name is None
                else (f"child {self._name!r} has no provider")
            )
            raise AmplifierUserError(f"{who}: {detail}")
        coordinator.register_capability(OVERRIDES, {"model": model} if model else {})
        # Recorded calls replay, whatever the provider and the loop (replay/provider.py).
        await wrap_for_replay(coordinator, self._plan)
        if model:  # any provider gets it, whatever the loop (model_choice.py)
            await wrap_providers(coordinator)
        coordinator.cancellation.reset()
        if stop_requested is not None and stop_requested():
            await coordinator.request_cancel()
        self._running = True
        try:
            with self._attachments.turn(coordinator.get("context"), prompt, images or []):
                answer: str = await stopping.execute(self._session, prompt)
        except BaseException as error:
            if isinstance(error, asyncio.CancelledError):
                # The awaiting task was cancelled: the orchestrator must be told (fact 3).
                with contextlib.suppress(Exception):
                    await coordinator.request_cancel()
            # A turn that ended early may not have reached the events the transcript
            # writes messages on (a finished one has: execution:end).
            with contextlib.suppress(Exception):
                await sync_messages(self._session)
            raise
        finally:
            self._running = False
            coordinator.register_capability(OVERRIDES, {})
        self._turns += 1
        return answer

    # -- reading -------------------------------------------------------------

    async def messages(self) -> list[dict[str, Any]]:
        """The conversation so far (empty before the session starts)."""
        if self._session is None:
            return []
        context = self._session.coordinator.get("context")
        return list(await context.get_messages()) if context is not None else []

    def mounted(self) -> dict[str, Any]:
        """What is mounted now: orchestrator, context, providers, tools, hooks."""
        if self._session is None:
            return {}
        coordinator = self._session.coordinator
        hooks = coordinator.hooks.list_handlers()
        names = sorted({n for handlers in hooks.values() for n in handlers} - INTERNAL_HOOKS)
        return {
            "orchestrator": type(coordinator.get("orchestrator")).__name__,
            "context": type(coordinator.get("context")).__name__,
            "providers": sorted((coordinator.get("providers") or {}).keys()),
            "tools": sorted((coordinator.get("tools") or {}).keys()),
            "hooks": names,
        }
