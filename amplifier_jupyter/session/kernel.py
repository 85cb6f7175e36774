"""The one Amplifier session of a kernel: its plan, its lifecycle, its runs, its children."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from amplifier_jupyter._ipython.shell import current_shell
from amplifier_jupyter.errors import AmplifierUserError, one_line
from amplifier_jupyter.replay.state import replay_state
from amplifier_jupyter.session import stopping
from amplifier_jupyter.session.cell_turns import CellTurns, RerunKind
from amplifier_jupyter.session.children import Children
from amplifier_jupyter.session.conversation import read_messages
from amplifier_jupyter.session.host_hook import HostHook
from amplifier_jupyter.session.logs import LOG_COLLECTOR, QuietFaults, quiet_amplifier_logging
from amplifier_jupyter.session.model_choice import cap_notices
from amplifier_jupyter.session.plans import (
    NO_KEY_LINE,
    default_plan,
    needs_anthropic_key,
    validate_plan,
)
from amplifier_jupyter.session.record import SessionRecord
from amplifier_jupyter.session.resume import (
    resumable,
    resumed_lines,
    saved_conversation,
    saved_plan,
)
from amplifier_jupyter.session.shutdown import install_shutdown_hook
from amplifier_jupyter.session.spawn import register_spawning
from amplifier_jupyter.session.totals import Totals
from amplifier_jupyter.transcripts.writer import attach_transcript, sync_messages

EventListener = Callable[[str, dict[str, Any]], None]
BUSY_LINE = (
    "an agent run is still going in this kernel: wait for it (%amplifier wait) "
    "or stop it (%amplifier stop)"
)
# After cleanup(), let the kernel's tasks finish before anything else happens
# (docs/design.md, fact 4: an immediate exit after cleanup crashed once).
CLEANUP_DRAIN = 0.2
# How long a stopped run may take to reach its safe point before its session is cleaned up
# (cleanup under a live run is what crashed): on a reset, and within the shutdown's budget.
RESET_GRACE = 10.0
STOP_GRACE = 1.0


class KernelSession:
    """Owns the kernel's :class:`amplifier_core.AmplifierSession` across cells.

    The first run creates and initializes the session from the active plan;
    later runs reuse it, so the conversation continues. Setting a plan or
    resetting cleans the session up; the next run starts a fresh one.

    Its state is read through attributes and properties and changed only by its
    methods. ``approval_system`` and ``display_system``: what every session of the
    kernel asks and shows through (by default the notebook's, in IPython).
    """

    def __init__(self, *, approval_system: Any = None, display_system: Any = None) -> None:
        # One implementation for the magic and the Python API (ui/approval.py, ui/display.py);
        # each run attaches its view to them as ``host``. Outside IPython there is nobody
        # to ask, and an ask is denied at once with a note (the loop's rule).
        from amplifier_jupyter.ui.approval import JupyterApprovalSystem
        from amplifier_jupyter.ui.display import JupyterDisplaySystem
        from amplifier_jupyter.ui.environment import in_ipython

        if approval_system is None and in_ipython():
            approval_system = JupyterApprovalSystem()
        if display_system is None and in_ipython():
            display_system = JupyterDisplaySystem()
        self.approval_system: Any = approval_system
        self.display_system: Any = display_system
        self._plan: dict[str, Any] | None = None
        self._policy: Any = None
        # The kernel's own session; a fresh record for each session it starts.
        self._main = SessionRecord()
        # Child sessions by name; ended with the kernel's session.
        self.children = Children(self.new_session, self.active_plan)
        # Edit and re-run: the turn each %%amplifier cell produced (cell_turns.py).
        self.cell_turns = CellTurns()
        # The approval system learns which tool asks from the loop's approval:required.
        self._listeners: list[EventListener] = [self._tell_approval_system]
        # Events the observer or a listener could not take: one quiet line a run.
        self._observer_faults = QuietFaults()
        # Hooks that raised during the last run (the kernel logs and goes on).
        self._hook_errors: list[str] = []
        # The task of the run going on now (kernel session or child), and of a
        # ``%%amplifier --background`` run until ``%amplifier wait`` reports it.
        self._running: asyncio.Task[Any] | None = None
        self._background_run: asyncio.Task[Any] | None = None
        # A stop asked for while a run's session was still starting (see _run()).
        self._stop_requested = False
        self._lock = asyncio.Lock()
        self._shutdown_hook = False

    # -- what is read ----------------------------------------------------

    @property
    def plan(self) -> dict[str, Any] | None:
        """The plan the user set (None: the default plan); see :meth:`set_plan`."""
        return self._plan

    @property
    def session(self) -> Any:
        """The kernel's initialized session (None before the first run or after a reset)."""
        return self._main.session

    @property
    def loader(self) -> Any:
        """The kernel session's ``NotebookModuleLoader`` (None before a session starts)."""
        return self._main.loader

    @property
    def turns(self) -> int:
        """Completed turns of the kernel session's conversation."""
        return self._main.turns

    @property
    def totals(self) -> Totals:
        """Tokens and cost of the kernel's session."""
        return self._main.totals

    @property
    def load_failures(self) -> list[str]:
        """Modules of the kernel's session that did not load, one line each."""
        return self._main.load_failures

    @property
    def hook_errors(self) -> list[str]:
        """Hooks that raised during the last run, one line each."""
        return self._hook_errors

    @property
    def policy(self) -> Any:
        """The approval policy, once a session or ``%amplifier approve`` made it (else None)."""
        return self._policy

    @property
    def running(self) -> asyncio.Task[Any] | None:
        """The task of the run going on now (the kernel session's or a child's), if any."""
        return self._running

    @property
    def background_run(self) -> asyncio.Task[Any] | None:
        """The ``%%amplifier --background`` run, until :meth:`forget_background_run`."""
        return self._background_run

    @property
    def busy(self) -> bool:
        """Whether an agent run is going (in the foreground or the background)."""
        background = self._background_run is not None and not self._background_run.done()
        return background or self._lock.locked()

    def active_plan(self) -> dict[str, Any]:
        """The plan the next session uses: the user's, else the default."""
        return self._plan if self._plan is not None else default_plan()

    def approval_policy(self) -> Any:
        """The approval policy every session of this kernel uses (``%amplifier approve``)."""
        if self._policy is None:
            from amplifier_jupyter.modules.hooks_notebook_approval import ApprovalPolicy

            self._policy = ApprovalPolicy()
        return self._policy

    async def messages(self) -> list[dict[str, Any]]:
        """The conversation so far (empty before the first run)."""
        return await self._main.messages()

    def mounted(self) -> dict[str, Any]:
        """What is mounted now: orchestrator, context, providers, tools, hooks."""
        return self._main.mounted()

    async def rerun_kind(self, cell_id: str | None) -> RerunKind:
        """What running the cell ``cell_id`` now does: a new turn, or it replaces or
        appends to its earlier one (session/cell_turns.py)."""
        session = self._main.session
        context = session.coordinator.get("context") if session is not None else None
        messages = await read_messages(context) if context is not None else []
        return self.cell_turns.kind(cell_id, messages)

    # -- plan and lifecycle ----------------------------------------------

    async def set_plan(self, plan: dict[str, Any] | None) -> None:
        """Replace the plan (``None``: back to the default) and the session with it."""
        checked = validate_plan(plan) if plan is not None else None
        await self.reset()
        self._plan = checked

    async def ensure_session(self) -> Any:
        """The initialized session, created from the active plan on first use."""
        if self._main.session is not None:
            return self._main.session
        return await self._start_session()

    async def _start_session(
        self, *, session_id: str | None = None, is_resumed: bool = False
    ) -> Any:
        """Create the kernel's session from the active plan (with an id: a resume)."""
        plan = self.active_plan()
        # A fresh record at once: a start that fails still shows its notices and failures.
        self._main = SessionRecord(plan)
        session = await self.new_session(
            plan, record=self._main, session_id=session_id, is_resumed=is_resumed
        )
        if not self._shutdown_hook:
            # The Python API works without %load_ext, which installs it too.
            self._shutdown_hook = install_shutdown_hook(end_kernel_sessions)
        return session

    async def new_session(
        self,
        plan: dict[str, Any],
        *,
        record: SessionRecord,
        session_id: str | None = None,
        parent_id: str | None = None,
        is_resumed: bool = False,
    ) -> Any:
        """An initialized session of this kernel, attached to ``record``: the kernel's own
        (``record.name`` None) or a child, whose events it tags with the child's name.

        Every session shares the approval and display systems and the approval
        policy, writes a transcript and can spawn children.
        """
        # Under replay the key is needed only by a live call: the provider says so then.
        if needs_anthropic_key(plan) and not replay_state().active:
            raise AmplifierUserError(NO_KEY_LINE)
        quiet_amplifier_logging()
        from amplifier_core import AmplifierSession

        from amplifier_jupyter.loading.resolver import NotebookModuleLoader
        from amplifier_jupyter.modules.hooks_notebook_approval import install_approvals

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
        loader.listeners = self._listeners
        record.attach(loader=loader)
        coordinator.loader = loader
        # The policy's tool:pre hook, for any orchestrator; the provider for hooks that ask.
        install_approvals(
            coordinator,
            self.approval_policy(),
            self.approval_system,
            label=record.name,
        )
        # The notebook tools reach the user's namespace through this, not through imports.
        coordinator.register_capability("notebook.shell", current_shell())
        # One hook of ours on every event (host_hook.py): the transcript, then the observer.
        # Before initialize(): the transcript must see session:fork.
        host = HostHook(self._observer_faults)
        host.add("transcript", attach_transcript(session, plan, name=record.name))
        host.add("observer", self._observer(record))
        host.register(coordinator)
        register_spawning(self.children, session)
        try:
            await session.initialize()
        except Exception as error:
            with contextlib.suppress(Exception):
                await session.cleanup()
            raise AmplifierUserError(f"the session could not start: {one_line(error)}") from None
        record.attach(session=session)
        loader.notices.extend(cap_notices(plan))
        return session

    async def reset(self) -> None:
        """Clean the session up; the next run starts a fresh one with the same plan."""
        await self._end_sessions(grace=RESET_GRACE)
        # A cell's turn belonged to the ended conversation: re-running it must not
        # replace a turn of the next session that happens to open the same way.
        self.cell_turns.clear()
        if self._policy is not None:
            self._policy.always.clear()

    async def shutdown(self) -> None:
        """End every session before the kernel exits (the shutdown hook awaits this)."""
        await self._end_sessions(grace=STOP_GRACE)

    async def _end_sessions(self, *, grace: float) -> None:
        """Stop a run and give it ``grace`` seconds, then clean every child and the kernel's
        session up, and drain once for all of them (docs/design.md, fact 4)."""
        runs = [t for t in (self._running, self._background_run) if t is not None and not t.done()]
        if runs:
            with contextlib.suppress(Exception):
                await self.stop()
            # A run that is this task (a tool resetting its own session) cannot be waited for.
            others = {t for t in runs if t is not asyncio.current_task()}
            if others:
                await asyncio.wait(others, timeout=grace)
        had_children = await self.children.end_all()
        main, self._main = self._main, SessionRecord()
        had_session = main.session is not None
        await main.cleanup()
        if had_session or had_children:
            await asyncio.sleep(CLEANUP_DRAIN)

    async def resume(self, spec: str) -> list[str]:
        """Make the saved session ``spec`` (an id or its start) the kernel's session again,
        with its conversation; the lines that say what came back (session/resume.py)."""
        saved = resumable(spec)
        session_id = saved.session_id
        if self._lock.locked():
            raise AmplifierUserError(
                "an agent run is still going in this kernel: stop it (%amplifier stop) first"
            )
        if self.session is not None and self.session.session_id == session_id:
            return [f"{session_id} is already this kernel's session"]
        plan = self._plan if self._plan is not None else saved_plan(saved)
        conversation = saved_conversation(session_id)
        await self.reset()
        previous, self._plan = self._plan, plan
        try:
            session = await self._start_session(session_id=session_id, is_resumed=True)
        except BaseException:
            # The saved plan was only for this resume: a failed start must not make it the
            # kernel's plan for the next cell (nor show it as "your plan").
            self._plan = previous
            raise
        context = session.coordinator.get("context")
        if context is None or not hasattr(context, "set_messages"):
            raise AmplifierUserError(
                "the plan's context module cannot take a conversation back (no set_messages)"
            )
        await context.set_messages(conversation.messages)
        # The transcript follows at once (a prompt left out leaves the file too).
        await sync_messages(session)
        self._main.restore(turns=conversation.turns, totals=conversation.totals)
        return resumed_lines(session_id, conversation)

    # -- running ---------------------------------------------------------

    async def execute(
        self,
        prompt: str,
        *,
        model: str | None = None,
        cell_id: str | None = None,
        images: list[dict[str, Any]] | None = None,
    ) -> str:
        """Run one prompt in the kernel's session and return the answer.

        ``images``: image blocks that follow the prompt's text in its user message.

        ``cell_id``: the notebook cell asking; when its turn is the latest, the
        new turn replaces it (edit and re-run).

        Raises :class:`AmplifierUserError` with one line for anything the
        user can act on; the session and the conversation stay usable.
        """
        async with self._run():
            await self.ensure_session()
            main = self._main
            self._running = asyncio.current_task()
            context = main.session.coordinator.get("context")
            start, replaced = await self.cell_turns.rewind(context, cell_id)
            if replaced:
                main.drop_turn()
            completed = False
            try:
                answer = await main.execute(
                    prompt, model=model, stop_requested=self._stopped, images=images
                )
                completed = True
            finally:
                await self.cell_turns.after_run(context, cell_id, start, completed)
            return answer

    async def execute_child(
        self,
        name: str,
        prompt: str,
        *,
        plan: dict[str, Any] | None = None,
        model: str | None = None,
        on_note: Callable[[str], None] | None = None,
        images: list[dict[str, Any]] | None = None,
    ) -> str:
        """What ``%%amplifier --child NAME`` does: one prompt in the kernel session's child
        ``name`` (started, continued from its transcript, or afresh with ``plan``).

        Raises :class:`AmplifierUserError` as :meth:`execute` does.
        """
        async with self._run():
            child, note = await self.children.open(name, plan, parent=await self.ensure_session())
            if note and on_note is not None:
                on_note(note)
            self._running = asyncio.current_task()
            return await child.execute(
                prompt, model=model, stop_requested=self._stopped, images=images
            )

    @contextlib.asynccontextmanager
    async def _run(self) -> AsyncIterator[None]:
        """One foreground run at a time: the busy check, the lock, the stop that comes
        before the session is ready, the run's hook errors, one-line errors."""
        # Hook errors shown after this run are the ones that came during it (its session's
        # start included); one refused as busy shows none.
        self._hook_errors = []
        if self._lock.locked():
            raise AmplifierUserError(BUSY_LINE)
        self._stop_requested = False
        async with self._lock:
            self._observer_faults.new_run()
            hook_errors_before = LOG_COLLECTOR.hook_error_count
            try:
                yield
            except (AmplifierUserError, asyncio.CancelledError):
                raise
            except Exception as error:
                raise AmplifierUserError(one_line(error)) from None
            finally:
                self._running = None
                self._stop_requested = False
                self._hook_errors = LOG_COLLECTOR.hook_errors_since(hook_errors_before)

    def _stopped(self) -> bool:
        return self._stop_requested

    def run_in_background(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` (a cell's run) as the kernel's background run."""
        self._background_run = asyncio.ensure_future(work)
        return self._background_run

    def forget_background_run(self) -> None:
        """The background run was reported (``%amplifier wait``): there is none to wait for."""
        self._background_run = None

    async def stop(self) -> None:
        """Ask the running agent (and any child it runs) to stop at its next safe point."""
        # A hook's question is not watched by the loop's cancellation: answer it now.
        deny_pending = getattr(self.approval_system, "deny_pending", None)
        if deny_pending is not None:
            deny_pending()
        if self.busy:
            self._stop_requested = True
        await self._main.request_cancel()
        await self.children.stop()
        stopping.requested()  # not ended within about a second, or asked again: immediate

    # -- events ----------------------------------------------------------

    def _tell_approval_system(self, event: str, data: dict[str, Any]) -> None:
        on_event = getattr(self.approval_system, "on_event", None)
        if on_event is not None and event == "approval:required":
            on_event(event, data)

    def _observer(self, record: SessionRecord) -> EventListener:
        """What the kernel does with each of ``record``'s session's events: count them and
        tell the listeners (the panel), a child's tagged with its name; never changes the
        flow, and an event it cannot read is skipped with a quiet line."""
        child = record.name

        def observe(event: str, data: dict[str, Any]) -> None:
            try:
                record.observe(event, data)
            except Exception as error:  # an event we cannot read: skipped, said once a run
                self._observer_faults.note(f"could not read {event}: {error}")
            if child is not None:
                # The panel nests a child's events under its parent by this name.
                data = {**data, "child": child}
            for listener in list(self._listeners):
                try:
                    listener(event, data)
                except Exception as error:  # a broken view must not break the agent
                    self._observer_faults.note(f"listener failed on {event}: {error}")

        return observe

    def add_listener(self, listener: EventListener) -> None:
        """Call ``listener(event, data)`` for every event of this kernel's sessions."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        """Stop calling ``listener`` (no error if it was not added)."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)


# The magics, the Python API and the shutdown hook all reach the kernel's one session
# through this: one kernel, one process, one session (and its children).
_KERNEL_SESSION: KernelSession | None = None


def kernel_session() -> KernelSession:
    """The process-wide :class:`KernelSession` (one per kernel)."""
    global _KERNEL_SESSION
    if _KERNEL_SESSION is None:
        from amplifier_jupyter.modules.hooks_notebook_approval import notebook_policy

        _KERNEL_SESSION = KernelSession()
        _KERNEL_SESSION._policy = notebook_policy()  # shared with watched plain sessions
    return _KERNEL_SESSION


def next_plan() -> dict[str, Any]:
    """The plan the kernel's next session would start from, without making the kernel session."""
    return _KERNEL_SESSION.active_plan() if _KERNEL_SESSION is not None else default_plan()


async def end_kernel_sessions() -> None:
    """End every session of this process's kernel session, if one was made (the shutdown hook)."""
    if _KERNEL_SESSION is not None:
        await _KERNEL_SESSION.shutdown()
