"""The one Amplifier session of a kernel: its plan, its lifecycle, its totals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from amplifier_jupyter._ipython.shell import current_shell
from amplifier_jupyter.errors import AmplifierUserError, one_line
from amplifier_jupyter.session.cell_turns import CellTurns
from amplifier_jupyter.session.plans import (
    NO_KEY_LINE,
    default_plan,
    needs_anthropic_key,
    validate_plan,
)

EventListener = Callable[[str, dict[str, Any]], None]
# Hooks of ours that status does not list as the plan's hooks.
INTERNAL_HOOKS = {"notebook-observer", "notebook-transcript"}
BUSY_LINE = (
    "an agent run is still going in this kernel: wait for it (%amplifier wait) "
    "or stop it (%amplifier stop)"
)
# After cleanup(), let the kernel's tasks finish before anything else happens
# (docs/design.md, fact 4: an immediate exit after cleanup crashed once).
CLEANUP_DRAIN = 0.2


class Totals:
    """Token and cost totals of a session, summed from ``provider:response`` usage."""

    def __init__(self) -> None:
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self.cost_usd = Decimal("0")
        self.requests = 0

    def add(self, usage: dict[str, Any] | None) -> None:
        """Add one response's usage (a ``Usage`` dump)."""
        if not usage:
            return
        self.requests += 1
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        self.cache_read_tokens += int(usage.get("cache_read_tokens") or 0)
        self.cache_write_tokens += int(usage.get("cache_write_tokens") or 0)
        cost = usage.get("cost_usd")
        if cost not in (None, ""):
            self.cost_usd += Decimal(str(cost))

    def describe(self) -> str:
        """``1,234 in · 56 out · $0.0123`` (cache counts when there are any)."""
        parts = [f"{self.input_tokens:,} in", f"{self.output_tokens:,} out"]
        if self.cache_read_tokens or self.cache_write_tokens:
            parts.append(f"{self.cache_read_tokens:,} cache read")
            parts.append(f"{self.cache_write_tokens:,} cache write")
        parts.append(f"${self.cost_usd:.4f}")
        return " · ".join(parts)


class _LogCollector(logging.Handler):
    """Keeps amplifier-core's log records out of the cell; the last ones stay readable."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []
        self.hook_errors: list[str] = []
        # How many hook errors ever came: the list above keeps only the last 50, so a
        # run finds its own by this count, not by the list's length.
        self.hook_error_count = 0

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage().splitlines()[0]
        self.records.append(line)
        del self.records[:-50]
        if record.name.startswith("amplifier_core.hooks"):
            # A hook that raised: the kernel goes on, but the user should know.
            self.hook_errors.append(line)
            del self.hook_errors[:-50]
            self.hook_error_count += 1


LOG_COLLECTOR = _LogCollector()


def quiet_amplifier_logging() -> None:
    """Route the ``amplifier_core`` loggers away from the cell's stderr (docs/design.md, fact 5)."""
    logger = logging.getLogger("amplifier_core")
    if LOG_COLLECTOR not in logger.handlers:
        logger.addHandler(LOG_COLLECTOR)
    logger.propagate = False


class KernelSession:
    """Owns the kernel's :class:`amplifier_core.AmplifierSession` across cells.

    The first run creates and initializes the session from the active plan;
    later runs reuse it, so the conversation continues. Setting a plan or
    resetting cleans the session up; the next run starts a fresh one.
    """

    def __init__(self) -> None:
        self.plan: dict[str, Any] | None = None
        self.session: Any = None
        self.loader: Any = None
        self.turns = 0
        self.totals = Totals()
        # One implementation for the magic and the Python API (ui/approval.py, ui/display.py);
        # each run attaches its view to them as ``host``. Outside IPython there is nobody
        # to ask, and an ask is denied at once with a note (the loop's rule).
        from amplifier_jupyter.ui.approval import JupyterApprovalSystem
        from amplifier_jupyter.ui.display import JupyterDisplaySystem
        from amplifier_jupyter.ui.environment import in_ipython

        self.approval_system: Any = JupyterApprovalSystem() if in_ipython() else None
        self.display_system: Any = JupyterDisplaySystem() if in_ipython() else None
        self.policy: Any = None
        # The approval system learns which tool asks from the loop's approval:required.
        self.listeners: list[EventListener] = [self._tell_approval_system]
        self.load_failures: list[str] = []
        # Hooks that raised during the last run (the kernel logs and goes on).
        self.hook_errors: list[str] = []
        self.running: asyncio.Task | None = None
        # A ``%%amplifier --background`` run (cell.py), until ``%amplifier wait`` reports it.
        self.background_run: asyncio.Task | None = None
        # A stop asked for while a run's session was still starting (see execute()).
        self._stop_requested = False
        # Child sessions by name (see children.py); ended with the kernel's session.
        self.children: dict[str, Any] = {}
        # Edit and re-run: the turn each %%amplifier cell produced (cell_turns.py).
        self.cell_turns = CellTurns()
        self._lock = asyncio.Lock()

    # -- plan ------------------------------------------------------------

    def active_plan(self) -> dict[str, Any]:
        """The plan the next session uses: the user's, else the default."""
        return self.plan if self.plan is not None else default_plan()

    async def set_plan(self, plan: dict[str, Any] | None) -> None:
        """Replace the plan (``None``: back to the default) and the session with it."""
        checked = validate_plan(plan) if plan is not None else None
        await self.reset()
        self.plan = checked

    # -- lifecycle -------------------------------------------------------

    def approval_policy(self) -> Any:
        """The approval policy every session of this kernel uses (``%amplifier approve``)."""
        if self.policy is None:
            from amplifier_jupyter.modules.hooks_notebook_approval import ApprovalPolicy

            self.policy = ApprovalPolicy()
        return self.policy

    async def ensure_session(self) -> Any:
        """The initialized session, created from the active plan on first use."""
        if self.session is not None:
            return self.session
        return await self.start_session()

    async def start_session(
        self, *, session_id: str | None = None, is_resumed: bool = False
    ) -> Any:
        """Create the kernel's session from the active plan (with an id: a resume)."""
        self.load_failures = []
        session = await self.new_session(
            self.active_plan(), session_id=session_id, is_resumed=is_resumed
        )
        self.session = session
        self.turns = 0
        self.totals = Totals()
        return session

    async def new_session(
        self,
        plan: dict[str, Any],
        *,
        session_id: str | None = None,
        parent_id: str | None = None,
        is_resumed: bool = False,
        child: Any = None,
    ) -> Any:
        """An initialized session of this kernel: its own, or a child (``child``: a
        :class:`~amplifier_jupyter.session.children.ChildSession` whose events it tags).

        Every session shares the approval and display systems and the approval
        policy, writes a transcript, can spawn children, and is cleaned up on
        kernel shutdown.
        """
        if needs_anthropic_key(plan):
            raise AmplifierUserError(NO_KEY_LINE)
        quiet_amplifier_logging()
        from amplifier_core import AmplifierSession

        from amplifier_jupyter.loading.resolver import NotebookModuleLoader
        from amplifier_jupyter.session.children import register_spawning
        from amplifier_jupyter.session.shutdown import install_shutdown_hook
        from amplifier_jupyter.transcripts.writer import attach_transcript

        session = AmplifierSession(
            config=plan,
            session_id=session_id,
            parent_id=parent_id,
            approval_system=self.approval_system,
            display_system=self.display_system,
            is_resumed=is_resumed,
        )
        coordinator = session.coordinator
        # The constructor's loader= is ignored by the Rust session (docs/design.md, fact 2).
        loader = NotebookModuleLoader(coordinator=coordinator)
        loader.listeners = self.listeners
        if child is None:
            self.loader = loader
        coordinator.loader = loader
        coordinator.register_capability("approval.policy", self.approval_policy())
        # The notebook tools reach the user's namespace through this, not through imports.
        coordinator.register_capability("notebook.shell", current_shell())
        self._register_observers(coordinator, child)
        # Before initialize(): the transcript must see session:fork.
        attach_transcript(session, plan, name=getattr(child, "name", None))
        register_spawning(self, session)
        install_shutdown_hook(self)
        try:
            await session.initialize()
        except Exception as error:
            with contextlib.suppress(Exception):
                await session.cleanup()
            raise AmplifierUserError(f"the session could not start: {one_line(error)}") from None
        return session

    async def reset(self) -> None:
        """Clean the session up; the next run starts a fresh one with the same plan."""
        if self.running is not None and not self.running.done():
            await self.stop()
        background = self.background_run
        if background is not None and not background.done():
            await self.stop()
            if background is not asyncio.current_task():
                # Let the stopped run unwind before its session goes away.
                await asyncio.wait([background], timeout=10)
        from amplifier_jupyter.session.children import end_children

        had_children = await end_children(self)
        session, self.session = self.session, None
        self.loader = None
        self.load_failures = []
        if session is not None:
            with contextlib.suppress(Exception):
                await session.cleanup()
        if session is not None or had_children:
            await asyncio.sleep(CLEANUP_DRAIN)  # one drain for all of them
        self.turns = 0
        self.totals = Totals()
        # A cell's turn belonged to the ended conversation: re-running it must not
        # replace a turn of the next session that happens to open the same way.
        self.cell_turns.clear()
        if self.policy is not None:
            self.policy.always.clear()

    @property
    def busy(self) -> bool:
        """Whether an agent run is going (in the foreground or the background)."""
        background = self.background_run is not None and not self.background_run.done()
        return background or self._lock.locked()

    def _tell_approval_system(self, event: str, data: dict[str, Any]) -> None:
        on_event = getattr(self.approval_system, "on_event", None)
        if on_event is not None and event == "approval:required":
            on_event(event, data)

    async def stop(self) -> None:
        """Ask the running agent (and any child it runs) to stop at its next safe point."""
        # A hook's question is not watched by the loop's cancellation: answer it now.
        deny_pending = getattr(self.approval_system, "deny_pending", None)
        if deny_pending is not None:
            deny_pending()
        if self.busy:
            self._stop_requested = True
        if self.session is not None:
            await self.session.coordinator.request_cancel()
        for child in list(self.children.values()):
            if child.running:
                await child.session.coordinator.request_cancel()

    # -- running ---------------------------------------------------------

    async def execute(
        self, prompt: str, *, model: str | None = None, cell_id: str | None = None
    ) -> str:
        """Run one prompt in the kernel's session and return the answer.

        ``cell_id``: the notebook cell asking; when its turn is the latest, the
        new turn replaces it (edit and re-run).

        Raises :class:`AmplifierUserError` with one line for anything the
        user can act on; the session and the conversation stay usable.
        """
        if self._lock.locked():
            raise AmplifierUserError(BUSY_LINE)
        self._stop_requested = False
        async with self._lock:
            session = await self.ensure_session()
            coordinator = session.coordinator
            if not coordinator.get("providers"):
                detail = "; ".join(self.load_failures) or "the plan names no provider"
                raise AmplifierUserError(f"no provider is mounted: {detail}")
            coordinator.register_capability(
                "notebook.request_overrides", {"model": model} if model else {}
            )
            coordinator.cancellation.reset()
            if self._stop_requested:  # Stop came while the session was starting
                await coordinator.request_cancel()
            context = coordinator.get("context")
            start, replaced = await self.cell_turns.rewind(context, cell_id)
            if replaced:
                self.turns = max(0, self.turns - 1)
            completed = False
            self.running = asyncio.current_task()
            self.hook_errors = []
            hook_errors_before = LOG_COLLECTOR.hook_error_count
            try:
                answer = await session.execute(prompt)
                completed = True
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await coordinator.request_cancel()
                raise
            except Exception as error:
                raise AmplifierUserError(one_line(error)) from None
            finally:
                self.running = None
                self._stop_requested = False
                coordinator.register_capability("notebook.request_overrides", {})
                await self.cell_turns.after_run(context, cell_id, start, completed)
                new = LOG_COLLECTOR.hook_error_count - hook_errors_before
                self.hook_errors = LOG_COLLECTOR.hook_errors[-new:] if new else []
            self.turns += 1
            return answer

    # -- events ----------------------------------------------------------

    def _register_observers(self, coordinator: Any, child: Any = None) -> None:
        from amplifier_core import HookResult
        from amplifier_core.events import ALL_EVENTS

        async def observe(event: str, data: dict[str, Any]) -> Any:
            owner = child if child is not None else self
            if event == "provider:response":
                owner.totals.add(data.get("usage"))
            elif event == "module:load_failed":
                owner.load_failures.append(
                    f"{data.get('module_id')} did not load: {data.get('error')}"
                )
            if child is not None:
                # The panel nests a child's events under its parent by this name.
                data = {**data, "child": child.name}
            for listener in list(self.listeners):
                try:
                    listener(event, data)
                except Exception as error:  # a broken view must not break the agent
                    LOG_COLLECTOR.records.append(f"listener failed on {event}: {error}")
            return HookResult()

        for event in ALL_EVENTS:
            # Observers run last (high priority number) and never change the flow.
            coordinator.hooks.register(event, observe, priority=1000, name="notebook-observer")

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener(event, data)`` for every event of this kernel's sessions."""
        self.listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        with contextlib.suppress(ValueError):
            self.listeners.remove(listener)

    async def messages(self) -> list[dict[str, Any]]:
        """The conversation so far (empty before the first run)."""
        if self.session is None:
            return []
        context = self.session.coordinator.get("context")
        return await context.get_messages() if context is not None else []

    def mounted(self) -> dict[str, Any]:
        """What is mounted now: orchestrator, context, providers, tools, hooks."""
        if self.session is None:
            return {}
        coordinator = self.session.coordinator
        hooks = coordinator.hooks.list_handlers()
        names = sorted({n for handlers in hooks.values() for n in handlers} - INTERNAL_HOOKS)
        return {
            "orchestrator": type(coordinator.get("orchestrator")).__name__,
            "context": type(coordinator.get("context")).__name__,
            "providers": sorted((coordinator.get("providers") or {}).keys()),
            "tools": sorted((coordinator.get("tools") or {}).keys()),
            "hooks": names,
        }


_KERNEL_SESSION: KernelSession | None = None


def kernel_session() -> KernelSession:
    """The process-wide :class:`KernelSession` (one per kernel)."""
    global _KERNEL_SESSION
    if _KERNEL_SESSION is None:
        _KERNEL_SESSION = KernelSession()
    return _KERNEL_SESSION
