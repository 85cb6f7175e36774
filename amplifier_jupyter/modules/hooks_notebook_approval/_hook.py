"""The ``tool:pre`` hook that enforces the approval policy, under any orchestrator.

How amplifier-core's hook chain behaves decides how this works (docs/design.md,
fact 26): handlers run in priority order, lowest first; a ``deny`` stops the
chain; a later ``ask_user`` never replaces an earlier one; and the kernel's
``process_hook_result`` asks with a hook's own options, applies no timeout and
never says which tool asks (fact 8). So the hook asks the approval system
itself, inside its handler, where it knows the tool, applies the timeout and
remembers ``Allow always``; it returns ``deny`` or ``continue``, which any
orchestrator that applies hook results honours.

Three parts:

* :class:`ApprovalHook` on ``tool:pre`` at priority -20, before
  ``hooks-approval`` (-10) and hooks of the default priority (0): the policy's
  deny stops the chain before anyone else asks, and a call the user allowed is
  not asked about again by ``hooks-approval`` (the provider below knows it).
* :class:`NotebookApprovalProvider`, registered on ``approval.register_provider``
  when a module offers it (as amplifier-app-cli does, fact 24): a hook's
  question shows as a card of the notebook's approval system.
* :class:`Gate`: every mounted tool is wrapped so that, during one of the
  session's turns, its ``execute()`` runs only a call that came through the
  whole ``tool:pre`` chain. An orchestrator that does not apply hook results
  (it runs a call the chain denied, or emits no ``tool:pre``) gets that call
  refused, and the user one line. Nothing can stop a tool after it ran, so the
  refusal has to happen at the tool itself. A turn is the orchestrator's
  ``execute()`` (marked with a context variable, which the tasks it starts
  inherit); a tool called outside it (a cell's own code) is not an agent's
  call and runs as it is.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from amplifier_jupyter.modules._cancellation import is_cancelled, until_cancelled
from amplifier_jupyter.modules._emit import emitter, register_direct
from amplifier_jupyter.modules._on_loop import hand_to_loop, running_loop

from ._policy import APPROVAL_OPTIONS, ApprovalPolicy, ask, describe_call
from ._review import ALLOW_WORDS, STALE_ASKS, as_text, checked, decision, labels, stale

HOOK_NAME = "notebook-approval"
# Where a coordinator keeps its ApprovalHook (a plan's mount of the module finds the host's).
HOOK_CAPABILITY = "approval.notebook_hook"
# What the user chose on a reviewed call's card, for its tool (``_review.py``).
CHOICE_CAPABILITY = "approval.choice"
# Before hooks-approval (-10) and the default (0): a policy deny stops the chain first.
PRIORITY = -20
# Before and after every other tool:pre handler: a call that reaches the second was
# denied by no handler; one seen by the first only was denied.
SEEN_PRIORITY = -1_000_000
CLEARED_PRIORITY = 1_000_000
# The session's first events: modules are mounted, the orchestrator has not run yet.
ATTACH_EVENTS = ("session:start", "session:resume", "session:fork")
# A turn begins (orchestrator events): what the gate remembers is about this turn.
TURN_EVENTS = ("prompt:submit", "execution:start")
STOPPED_REASON = "stopped by the user"
# The hook of the session whose orchestrator's execute() is running here, if any.
CURRENT_TURN: ContextVar[Any] = ContextVar("notebook_approval_turn", default=None)
# An orchestrator whose execute() marks its turns carries its hook under this name.
TURN_MARK = "_notebook_approval_hook"
POLICY_DENIES = "the approval policy denies this tool"


class Stopped(Exception):
    """The user pressed Stop while a question waited."""


def call_key(tool_name: str, tool_input: Any) -> str:
    """The same text for the same call, whether seen at ``tool:pre`` or at ``execute()``."""
    if isinstance(tool_input, str):
        with contextlib.suppress(ValueError):
            tool_input = json.loads(tool_input)
    return json.dumps([tool_name, tool_input], sort_keys=True, default=str)


def _continue() -> Any:
    from amplifier_core import HookResult

    return HookResult(action="continue")


def _deny(reason: str) -> Any:
    from amplifier_core import HookResult

    return HookResult(action="deny", reason=reason)


class Gate:
    """Which tool calls the ``tool:pre`` chain let through in this turn, for the tools.

    ``seen`` counts, per tool, the calls that entered the chain; ``cleared`` the
    calls that came out of it (no handler denied them). ``execute()`` of a
    wrapped tool takes one cleared call. A call whose input the orchestrator
    changed after ``tool:pre`` is still let through when every call of that tool
    that entered the chain came out of it.
    """

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.passed: Counter[str] = Counter()
        self.cleared: Counter[str] = Counter()
        self.cleared_by_tool: dict[str, Counter[str]] = {}

    def new_turn(self) -> None:
        self.seen.clear()
        self.passed.clear()
        self.cleared.clear()
        self.cleared_by_tool.clear()

    def clear(self, tool_name: str, key: str) -> None:
        self.passed[tool_name] += 1
        self.cleared[key] += 1
        self.cleared_by_tool.setdefault(tool_name, Counter())[key] += 1

    def _take(self, tool_name: str, key: str) -> None:
        self.cleared[key] -= 1
        if self.cleared[key] <= 0:
            del self.cleared[key]
        by_tool = self.cleared_by_tool.get(tool_name, Counter())
        by_tool[key] -= 1
        if by_tool[key] <= 0:
            del by_tool[key]

    def admit(self, tool_name: str, tool_input: Any) -> str | None:
        """None when the call may run; else why it may not (the orchestrator's fault)."""
        key = call_key(tool_name, tool_input)
        if self.cleared[key] > 0:
            self._take(tool_name, key)
            return None
        by_tool = self.cleared_by_tool.get(tool_name)
        if by_tool and self.seen[tool_name] == self.passed[tool_name]:
            self._take(tool_name, next(iter(by_tool)))
            return None
        if self.seen[tool_name]:
            return "applies no hook results (it ran a tool call that a tool:pre hook denied)"
        return "emits no tool:pre (no approval hook sees its tool calls)"


class GatedTool:
    """A mounted tool whose ``execute()`` first asks the :class:`Gate`; else it is the tool."""

    def __init__(self, tool: Any, hook: ApprovalHook, name: str) -> None:
        self._tool = tool
        self._hook = hook
        self._mount_name = name

    @property
    def name(self) -> str:
        return self._tool.name

    @property
    def description(self) -> str:
        return self._tool.description

    @property
    def input_schema(self) -> Any:
        return self._tool.input_schema

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._tool, attribute)

    def __repr__(self) -> str:
        return f"GatedTool({self._tool!r})"

    async def execute(self, input: Any, *args: Any, **kwargs: Any) -> Any:
        hook = self._hook
        if hook.marks_turns and CURRENT_TURN.get() is not hook:  # not the agent's call
            return await self._tool.execute(input, *args, **kwargs)
        refusal = hook.refused(self._mount_name, input)
        if refusal is not None:
            from amplifier_core import ToolResult

            return ToolResult(success=False, output=refusal, error={"message": refusal})
        return await self._tool.execute(input, *args, **kwargs)


class NotebookApprovalProvider:
    """``amplifier_core.interfaces.ApprovalProvider`` for hooks that ask (``hooks-approval``).

    ``request_approval(ApprovalRequest) -> ApprovalResponse``. Answered without
    asking when the policy denies the tool, when the user already allowed this
    very call in this turn (through the policy's own question: asked once), or
    when the tool is always allowed; headless, the policy's default applies at
    once. Otherwise the approval system shows the question with ``Allow once``,
    ``Allow always`` (``remember``: the policy remembers it) and ``Deny``; a
    ``timeout`` of None waits for the answer, and Stop denies it.
    """

    def __init__(self, hook: ApprovalHook) -> None:
        self.hook = hook

    async def request_approval(self, request: Any) -> Any:
        from amplifier_core import ApprovalResponse

        hook = self.hook
        tool_name = request.tool_name
        details = dict(request.details or {})
        mode = hook.policy.decide(tool_name, hook.tool(tool_name))
        if mode == "deny":
            return ApprovalResponse(approved=False, reason=POLICY_DENIES)
        key = call_key(tool_name, details)
        if hook.user_allowed[key] > 0:
            hook.user_allowed[key] -= 1
            return ApprovalResponse(approved=True, reason="the user allowed this call already")
        if tool_name in hook.policy.always:
            return ApprovalResponse(approved=True, reason="always allowed", remember=True)
        prompt = f"{request.action} ({request.risk_level} risk)"
        default = "allow" if mode == "allow" else "deny"
        try:
            decision, note = await hook.ask(
                tool_name, details, prompt, request.timeout, default, APPROVAL_OPTIONS
            )
        except Stopped:
            return ApprovalResponse(approved=False, reason=STOPPED_REASON)
        word = decision.strip().lower()
        if word in ("allow", "allow once", "allow always"):
            if word == "allow always":
                hook.policy.remember(tool_name)
            return ApprovalResponse(
                approved=True, reason=note or decision, remember=word == "allow always"
            )
        return ApprovalResponse(approved=False, reason=note or "the user denied it")


class ApprovalHook:
    """The approval policy on one session's ``tool:pre`` (see the module docstring).

    ``approval_system``: whom to ask (None: the coordinator's). ``label``: the
    name a question shows it comes from (a child session's). ``provider``:
    register :class:`NotebookApprovalProvider` where a module offers
    ``approval.register_provider`` (the notebook host does; a plan's mount of the
    module does not, since a foreign host registers its own).
    """

    def __init__(
        self,
        coordinator: Any,
        policy: ApprovalPolicy,
        approval_system: Any = None,
        *,
        label: str | None = None,
        provider: bool = True,
    ) -> None:
        self.coordinator = coordinator
        self.policy = policy
        self._approval_system = approval_system
        self.label = label
        self.provider = NotebookApprovalProvider(self) if provider else None
        self._registered_with: Any = None
        self.gate = Gate()
        # Calls the user allowed in this turn, for hooks-approval's question about them.
        self.user_allowed: Counter[str] = Counter()
        # The card's answer for each allowed call whose tool reviewed it, until the tool asks.
        self.choices: dict[str, dict[str, Any]] = {}
        # Why the policy cannot be applied through this session's orchestrator (once seen).
        self.unenforced: str | None = None
        # Whether the orchestrator's execute() marks its turns (else every call is gated).
        self.marks_turns = False
        self._unregister: list[Callable[[], Any]] = []
        self._loop: Any = None  # where install() ran: the session's loop

    # -- wiring ------------------------------------------------------------------------

    def install(self) -> ApprovalHook:
        """Register the handlers and the capabilities on the coordinator."""
        hooks = self.coordinator.hooks
        on = self._unregister.append
        on(hooks.register("tool:pre", self.on_seen, priority=SEEN_PRIORITY, name=HOOK_NAME))
        on(hooks.register("tool:pre", self.on_tool_pre, priority=PRIORITY, name=HOOK_NAME))
        on(hooks.register("tool:pre", self.on_cleared, priority=CLEARED_PRIORITY, name=HOOK_NAME))
        for event in ATTACH_EVENTS:
            on(hooks.register(event, self.on_session_event, priority=PRIORITY, name=HOOK_NAME))
        self._loop = running_loop()
        for event in TURN_EVENTS:
            on(
                register_direct(
                    self.coordinator,
                    event,
                    self.on_turn_event,
                    self.on_turn_direct,
                    priority=PRIORITY,
                    name=HOOK_NAME,
                )
            )
        self.coordinator.register_capability(HOOK_CAPABILITY, self)
        self.coordinator.register_capability("approval.policy", self.policy)
        self.coordinator.register_capability(CHOICE_CAPABILITY, self.take_choice)
        return self

    def cleanup(self) -> None:
        for unregister in self._unregister:
            with contextlib.suppress(Exception):  # the session is going away anyway
                unregister()
        self._unregister.clear()

    @property
    def approval_system(self) -> Any:
        if self._approval_system is not None:
            return self._approval_system
        return getattr(self.coordinator, "approval_system", None)

    def tool(self, tool_name: str) -> Any:
        return (self.coordinator.get("tools") or {}).get(tool_name)

    async def on_session_event(self, event: str, data: dict[str, Any]) -> Any:
        """Modules are mounted: register the provider, wrap the tools; a turn: start afresh."""
        self._attach(event)
        await self._gate_tools()
        return _continue()

    def on_turn_event(self, event: str, data: dict[str, Any]) -> Any:
        """A turn begins: :meth:`on_session_event`'s work, as a plain handler (on
        amplifier-core's thread). When every tool is wrapped already, nothing needs
        awaiting: the rest is handed to the loop (``modules/_on_loop.py``, a third of a
        coroutine handler's cost) and the answer is None, ``continue``."""
        if self._all_gated() and hand_to_loop(self._loop, self._attach, event):
            return None
        return self.on_session_event(event, data)  # awaited on the loop by amplifier-core

    def on_turn_direct(self, event: str, data: dict[str, Any]) -> Any:
        """:meth:`on_turn_event` as the built-ins' short way calls it, on the loop
        (``modules/_emit.py``): the gate starts afresh now, or, while a tool is still to
        be wrapped, the coroutine to await."""
        if self._all_gated():
            self._attach(event)
            return None
        return self.on_session_event(event, data)

    def _attach(self, event: str) -> None:
        if event in TURN_EVENTS:
            self.gate.new_turn()
            self.user_allowed.clear()
            self.choices.clear()
        self._register_provider()
        self._mark_turns()

    def _all_gated(self) -> bool:
        tools = self.coordinator.get("tools") or {}
        return all(isinstance(tool, GatedTool) for tool in tools.values())

    def _register_provider(self) -> None:
        if self.provider is None:
            return
        register = self.coordinator.get_capability("approval.register_provider")
        if register is None or register is self._registered_with:
            return
        register(self.provider)
        self._registered_with = register

    def _mark_turns(self) -> None:
        """Make the orchestrator's ``execute()`` set :data:`CURRENT_TURN` while it runs."""
        orchestrator = self.coordinator.get("orchestrator")
        if orchestrator is None or getattr(orchestrator, TURN_MARK, None) is self:
            return
        execute = orchestrator.execute
        hook = self

        async def execute_marked(*args: Any, **kwargs: Any) -> Any:
            token = CURRENT_TURN.set(hook)
            try:
                return await execute(*args, **kwargs)
            finally:
                CURRENT_TURN.reset(token)

        try:
            orchestrator.execute = execute_marked
            setattr(orchestrator, TURN_MARK, self)
        except (AttributeError, TypeError):  # no instance attributes: gate every call
            self.marks_turns = False
            return
        self.marks_turns = True

    async def _gate_tools(self) -> None:
        """Wrap every mounted tool (tools mounted later are wrapped at the next turn)."""
        for name, tool in list((self.coordinator.get("tools") or {}).items()):
            if not isinstance(tool, GatedTool):
                await self.coordinator.mount("tools", GatedTool(tool, self, name), name=name)

    # -- tool:pre ----------------------------------------------------------------------

    async def on_seen(self, event: str, data: dict[str, Any]) -> Any:
        """First of the chain: a call of this tool entered it."""
        self.gate.seen[str(data.get("tool_name", ""))] += 1
        return _continue()

    async def on_tool_pre(self, event: str, data: dict[str, Any]) -> Any:
        """The policy's decision for one call; asks the user when it says ask."""
        tool_name = str(data.get("tool_name", ""))
        tool_input = data.get("tool_input") or {}
        mode = self.policy.decide(tool_name, self.tool(tool_name))
        if mode == "allow":
            return _continue()
        emit = emitter(self.coordinator)
        if mode == "deny":
            await emit(
                "approval:denied",
                {"tool_name": tool_name, "decision": "deny", "reason": POLICY_DENIES},
            )
            return _deny(POLICY_DENIES)
        try:
            review = await self._review(tool_name, tool_input)
        except Stopped:
            return _deny(STOPPED_REASON)
        if review is not None and review.get("changes") is False:
            # Nothing would change: nobody is asked, and the tool, given this review
            # back, writes nothing (even if the notebook could be written by now).
            self.choices[call_key(tool_name, tool_input)] = {"label": None, "review": review}
            return _continue()
        options = labels(review) if review is not None else APPROVAL_OPTIONS
        await emit(
            "approval:required",
            {
                "tool_name": tool_name,
                "tool_input": tool_input,
                "timeout": self.policy.timeout,
                "options": options,
            },
        )
        try:
            choice, note, review = await self._ask_reviewed(tool_name, tool_input, review)
        except Stopped:
            # The card says it was stopped; the orchestrator's cancel events end the turn.
            return _deny(STOPPED_REASON)
        word = decision(review, choice)
        if word in ("allow", "allow once", "allow always"):
            if word == "allow always":
                self.policy.remember(tool_name)
            key = call_key(tool_name, tool_input)
            self.user_allowed[key] += 1
            if review is not None:
                self.choices[key] = {"label": choice, "decision": word, "review": review}
            await emit(
                "approval:granted", {"tool_name": tool_name, "decision": choice, "reason": note}
            )
            return _continue()
        rejected = review.get("rejected") if review is not None and note is None else None
        reason = note or (rejected if isinstance(rejected, str) else "the user denied it")
        await emit(
            "approval:denied", {"tool_name": tool_name, "decision": choice, "reason": reason}
        )
        return _deny(reason)

    async def _ask_reviewed(
        self, tool_name: str, tool_input: Any, review: dict[str, Any] | None
    ) -> tuple[str, str | None, dict[str, Any] | None]:
        """Ask; an allow on a reviewed call whose review has changed meanwhile (the user
        edited the cell while the card was open) is not taken: the new review is asked
        instead, so what is allowed is what was shown. Returns the choice, its note and
        the review it was made on."""
        for _ in range(STALE_ASKS):
            prompt = as_text(review) if review is not None else describe_call(tool_name, tool_input)
            options = labels(review) if review is not None else APPROVAL_OPTIONS
            choice, note = await self.ask(
                tool_name, tool_input, prompt, self.policy.timeout, "deny", options, review=review
            )
            if review is None or decision(review, choice) not in ALLOW_WORDS:
                break
            fresh = await self._review(tool_name, tool_input)
            if fresh is None or fresh.get("changes") is False or stale(review, fresh) is None:
                break  # the tool's own check (a compare-and-swap) has the last word
            review = stale(review, fresh)
        return choice, note, review

    async def _review(self, tool_name: str, tool_input: Any) -> dict[str, Any] | None:
        """The tool's review of this call (``_review.py``), or None (it has none, or it failed)."""
        review = getattr(self.tool(tool_name), "review", None)
        if review is None or not isinstance(tool_input, dict):
            return None
        try:
            return checked(await until_cancelled(review(tool_input), self.coordinator, Stopped))
        except Stopped:
            raise
        except Exception:  # a review that fails asks as any tool does, with its input
            return None

    def take_choice(self, tool_name: str, tool_input: Any) -> dict[str, Any] | None:
        """What the user chose on this call's card: ``{label, decision, review}`` (once)."""
        return self.choices.pop(call_key(tool_name, tool_input), None)

    async def on_cleared(self, event: str, data: dict[str, Any]) -> Any:
        """Last of the chain: no handler denied this call, so its tool may run it."""
        tool_name = str(data.get("tool_name", ""))
        self.gate.clear(tool_name, call_key(tool_name, data.get("tool_input") or {}))
        return _continue()

    async def ask(
        self,
        tool_name: str,
        tool_input: Any,
        prompt: str,
        timeout: float | None,
        default: str,
        options: list[str],
        *,
        review: dict[str, Any] | None = None,
    ) -> tuple[str, str | None]:
        """Ask the approval system, giving up at once (``Stopped``) when the user stops."""
        if is_cancelled(self.coordinator):
            raise Stopped()
        return await until_cancelled(
            ask(
                self.approval_system,
                prompt,
                options,
                timeout,
                default,  # type: ignore[arg-type]
                tool_name=tool_name,
                tool_input=tool_input,
                child=self.label,
                review=review,
            ),
            self.coordinator,
            Stopped,
        )

    # -- the gate ----------------------------------------------------------------------

    def refused(self, tool_name: str, tool_input: Any) -> str | None:
        """What the model reads instead of running a call no ``tool:pre`` chain cleared."""
        why = self.gate.admit(tool_name, tool_input)
        if why is None:
            return None
        who = _orchestrator_name(self.coordinator)
        first = self.unenforced is None
        self.unenforced = f"{who} {why}"
        if first:
            display = getattr(self.coordinator, "display_system", None)
            if display is not None:
                display.show_message(
                    f"{who} {why}: this call of '{tool_name}' is refused, and so is every "
                    "tool call that no hook cleared",
                    "warning",
                    "approval",
                )
        return f"Refused: {who} {why}, so the approval policy cannot be applied to this call."


def _orchestrator_name(coordinator: Any) -> str:
    orchestrator = coordinator.get("orchestrator")
    if orchestrator is None:
        return "the orchestrator"
    name = getattr(orchestrator, "name", None)
    return f"the orchestrator {name if isinstance(name, str) else type(orchestrator).__name__}"


def describe_approval(coordinator: Any, policy: ApprovalPolicy) -> str:
    """The policy in one line for ``%amplifier status``, and whether this session can apply it."""
    line = policy.describe()
    hook = coordinator.get_capability(HOOK_CAPABILITY) if coordinator is not None else None
    if hook is None:
        return f"{line} · not applied: no approval hook on this session"
    if hook.unenforced:
        return f"{line} · {hook.unenforced}: tool calls that no hook cleared are refused"
    return line
