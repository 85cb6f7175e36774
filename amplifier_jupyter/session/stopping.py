"""Stop stops, whatever orchestrator runs: a graceful request first, then an immediate end.

``KernelSession.stop`` asks gracefully (``coordinator.request_cancel()``). The
built-in loop honours that at once; Amplifier's ``loop-basic`` and
``loop-streaming`` only look at the token between model calls, so a graceful
stop waits out the call in progress (docs/design.md, fact 23). Hence, as
amplifier-app-cli does (fact 24), a stop *escalates*: when the run has not
ended :data:`ESCALATE_AFTER` seconds after the first request, or on a second
one (Stop clicked again, a second interrupt), the cancel becomes immediate and
the run is ended from outside:

1. the token is set immediate (``request_immediate()``: what amplifier-core
   2.0.2's ``request_cancel(immediate=True)`` does, synchronously);
2. the orchestrator's own task is cancelled: amplifier-core runs the
   orchestrator as a task of its own (``run_orchestrator``) on the kernel's
   loop, so cancelling the task that awaits ``execute()`` would leave it
   running (fact 3); cancelling its task raises ``CancelledError`` in whatever
   it awaits (a provider's HTTP call, a tool);
3. the task awaiting ``execute()`` is cancelled;
4. every event the run still emits is denied by a gate hook that runs before
   all others (so neither the panel's observer nor the transcript sees it, and
   a ``tool:pre`` or ``provider:request`` of a run that ignores cancellation
   is refused), and what it writes to the context is dropped, for as long as
   the run's tasks live (a run that swallows its cancellation goes on, and the
   next cell resets the token it would read); the run is known by a context
   variable, which amplifier-core carries into the hooks and modules it calls,
   so a later run of the same session passes;
5. once the orchestrator has ended (at most :data:`ORPHAN_WAIT` seconds), the
   conversation is closed as the built-in loop closes a stopped turn: rolled
   back when the model said nothing yet, otherwise every open tool call
   answered and a short assistant note at the end;
6. ``cancel:completed`` and ``orchestrator:complete`` (status ``cancelled``)
   are emitted for the run, as no run (so they pass the gate), and the panel
   shows "Stopped" and the transcript records the end; ``execute()`` returns
   no answer.

Usage: ``await execute(session, prompt)`` in place of ``await
session.execute(prompt)``, and :func:`requested` after each stop request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.session.conversation import read_messages

# Seconds a run gets to end after a graceful stop before the stop becomes immediate.
ESCALATE_AFTER = 0.75
# Seconds an escalated run's orchestrator gets to unwind before the conversation is closed.
ORPHAN_WAIT = 1.0
GATE_NAME = "notebook-stop-gate"
# First of every handler: hook priorities run from the lowest number.
GATE_PRIORITY = -1_000_000
STOPPED_NOTE = "(stopped by the user)"
ORCHESTRATOR_TASK = "run_orchestrator"  # amplifier_core/_session_exec.py


@dataclass(eq=False)
class Run:
    """One ``session.execute()`` in progress."""

    session: Any
    parent: Run | None = None
    task: asyncio.Task[Any] | None = None
    stop_requested: bool = False
    escalated: bool = False
    timer: asyncio.TimerHandle | None = None
    orchestrators: set[asyncio.Task[Any]] = field(default_factory=set)

    def abandoned(self) -> bool:
        """Whether this run (or the run it belongs to) was ended from outside."""
        run: Run | None = self
        while run is not None:
            if run.escalated:
                return True
            run = run.parent
        return False

    def alive(self) -> bool:
        """Whether any task of the run still runs."""
        tasks = [*self.orchestrators, *([self.task] if self.task is not None else [])]
        return any(not task.done() for task in tasks)


_CURRENT: contextvars.ContextVar[Run | None] = contextvars.ContextVar(
    "amplifier_jupyter_run", default=None
)
_RUNS: set[Run] = set()
# Per coordinator (by id): the gate's unregister functions, the abandoned runs it guards,
# and the context methods it fenced (to put back).
_GATES: dict[int, tuple[list[Any], set[Run], list[tuple[Any, str, Any]]]] = {}
# The context's methods that change the conversation.
WRITES = ("add_message", "set_messages", "clear")


async def execute(session: Any, prompt: str) -> str:
    """``session.execute(prompt)``, which a stop can end whatever the orchestrator does.

    Returns the answer, or ``""`` when the run was ended by an escalated stop.
    """
    coordinator = session.coordinator
    context = coordinator.get("context")
    snapshot = await read_messages(context) if context is not None else None
    run = Run(session, parent=_CURRENT.get())
    scope = contextvars.copy_context()
    scope.run(_CURRENT.set, run)
    run.task = asyncio.get_running_loop().create_task(_execute(session, prompt), context=scope)
    _RUNS.add(run)
    if coordinator.cancellation.is_cancelled:  # a stop came while the session was starting
        _requested(run)
    cancelled: BaseException | None = None
    try:
        answer = await run.task
    except BaseException as error:
        if not run.escalated:
            raise
        this = asyncio.current_task()
        if this is not None and this.cancelling():
            cancelled = error  # this task was cancelled too (a parent run's): settle, then go on
        answer = ""
    finally:
        _RUNS.discard(run)
        if run.timer is not None:
            run.timer.cancel()
    if not run.escalated:
        return answer
    # As no run: the closing events must pass the gate, the repair the fence.
    outside = _CURRENT.set(None)
    try:
        await _settle(run, context, snapshot)
    finally:
        _CURRENT.reset(outside)
    if cancelled is not None:
        raise cancelled
    return ""


async def _execute(session: Any, prompt: str) -> Any:
    return await session.execute(prompt)


def requested() -> None:
    """A stop was asked for: start the countdown of every run, or escalate those already asked."""
    for run in list(_RUNS):
        _requested(run)


def _requested(run: Run) -> None:
    if run.stop_requested:
        escalate(run)
        return
    run.stop_requested = True
    run.timer = asyncio.get_running_loop().call_later(ESCALATE_AFTER, escalate, run)


def escalate(run: Run) -> None:
    """End the run now (see the module docstring, steps 1 to 4)."""
    if run.escalated or run.task is None or run.task.done():
        return
    run.escalated = True
    coordinator = run.session.coordinator
    _close_gate(coordinator, run)
    with contextlib.suppress(Exception):
        coordinator.cancellation.request_immediate()
    run.orchestrators = orchestrator_tasks(coordinator)
    for task in run.orchestrators:
        task.cancel()
    run.task.cancel()


def orchestrator_tasks(coordinator: Any) -> set[asyncio.Task[Any]]:
    """The tasks in which amplifier-core runs this coordinator's orchestrator now."""
    found = set()
    for task in asyncio.all_tasks():
        frame = getattr(task.get_coro(), "cr_frame", None)
        if frame is None or frame.f_code.co_name != ORCHESTRATOR_TASK:
            continue
        if frame.f_locals.get("coordinator") is coordinator:
            found.add(task)
    return found


async def _settle(run: Run, context: Any, snapshot: list[dict[str, Any]] | None) -> None:
    """Steps 5 and 6: let the orchestrator unwind, close the conversation, say it ended."""
    try:
        pending = {task for task in run.orchestrators if not task.done()}
        if pending:
            await asyncio.wait(pending, timeout=ORPHAN_WAIT)
        if context is not None and snapshot is not None:
            with contextlib.suppress(Exception):
                await close_turn(context, snapshot)
        hooks = run.session.coordinator.hooks
        with contextlib.suppress(Exception):
            await hooks.emit("cancel:completed", {"was_immediate": True, "escalated": True})
            await hooks.emit(
                "orchestrator:complete",
                {"orchestrator": "notebook-stop", "turn_count": 0, "status": "cancelled"},
            )
    finally:
        _open_gate_when_gone(run)


async def close_turn(context: Any, snapshot: list[dict[str, Any]]) -> None:
    """Leave a valid conversation after a run ended mid-turn.

    The built-in loop's rule: when the model said nothing since ``snapshot``,
    the turn is rolled back (the prompt is still in the cell); otherwise every
    open tool call gets a result and the turn ends with an assistant note.
    """
    messages = await read_messages(context)
    turn = messages[len(snapshot) :]
    if messages[: len(snapshot)] != snapshot or not any(m.get("role") == "assistant" for m in turn):
        if messages != snapshot:
            await context.set_messages(snapshot)
        return
    closed = list(messages)
    answered = {m.get("tool_call_id") for m in closed if m.get("role") == "tool"}
    for index in range(len(closed) - 1, len(snapshot) - 1, -1):
        message = closed[index]
        if message.get("role") != "assistant" or not message.get("tool_calls"):
            continue
        results = [
            {
                "role": "tool",
                "tool_call_id": call.get("id"),
                "name": call.get("tool"),
                "content": f"Not run: {STOPPED_NOTE}",
            }
            for call in message["tool_calls"]
            if call.get("id") not in answered
        ]
        # After the call's own results, before whatever follows them.
        end = index + 1
        while end < len(closed) and closed[end].get("role") == "tool":
            end += 1
        closed[end:end] = results
    if closed[-1].get("role") != "assistant" or closed[-1].get("tool_calls"):
        closed.append({"role": "assistant", "content": STOPPED_NOTE})
    if closed != messages:
        await context.set_messages(closed)


# -- the gate ------------------------------------------------------------------------


def _close_gate(coordinator: Any, run: Run) -> None:
    """From now on, deny every event of ``run`` before any other handler sees it."""
    key = id(coordinator)
    if key not in _GATES:
        from amplifier_core import HookResult
        from amplifier_core.events import ALL_EVENTS

        async def gate(event: str, data: dict[str, Any]) -> Any:
            current = _CURRENT.get()
            if current is not None and current.abandoned():
                return HookResult(action="deny", reason="the run was stopped")
            return HookResult()

        unregister = [
            coordinator.hooks.register(event, gate, priority=GATE_PRIORITY, name=GATE_NAME)
            for event in ALL_EVENTS
        ]
        _GATES[key] = (unregister, set(), _fence(coordinator.get("context")))
    _GATES[key][1].add(run)


def _fence(context: Any) -> list[tuple[Any, str, Any]]:
    """Make the context drop what an abandoned run writes; what was fenced, to put back
    (the context, the name, and the instance's own attribute if it had one)."""
    fenced: list[tuple[Any, str, Any]] = []
    for name in WRITES:
        original = getattr(context, name, None)
        if original is None:
            continue
        own = getattr(context, "__dict__", {}).get(name)

        async def write(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            current = _CURRENT.get()
            if current is not None and current.abandoned():
                return None
            return await _original(*args, **kwargs)

        try:
            setattr(context, name, write)
        except (AttributeError, TypeError):  # a context that takes no attributes stays open
            continue
        fenced.append((context, name, own))
    return fenced


def _unfence(fenced: list[tuple[Any, str, Any]]) -> None:
    for context, name, own in fenced:
        with contextlib.suppress(AttributeError, TypeError):
            if own is None:
                delattr(context, name)  # the class's method again
            else:
                setattr(context, name, own)


def _open_gate_when_gone(run: Run) -> None:
    """Take the gate away once no abandoned run of its coordinator is alive."""
    key = id(run.session.coordinator)
    if run.alive():
        for task in [*run.orchestrators, run.task]:
            if task is not None and not task.done():
                task.add_done_callback(lambda _task: _open_gate_when_gone(run))
                return
    gate = _GATES.get(key)
    if gate is None:
        return
    unregister, runs, fenced = gate
    runs.discard(run)
    if any(other.alive() for other in runs):
        return
    del _GATES[key]
    for function in unregister:
        with contextlib.suppress(Exception):
            function()
    _unfence(fenced)
