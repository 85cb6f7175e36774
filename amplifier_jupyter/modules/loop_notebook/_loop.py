"""The agent loop: one turn of model calls and tool calls, its events, its end."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from amplifier_core import ChatRequest, ToolSpec
from amplifier_core.correlation import current_request_id
from amplifier_core.events import (
    CANCEL_COMPLETED,
    CANCEL_REQUESTED,
    CONTENT_BLOCK_END,
    CONTENT_BLOCK_START,
    EXECUTION_END,
    EXECUTION_START,
    ORCHESTRATOR_COMPLETE,
    PROMPT_COMPLETE,
    PROMPT_SUBMIT,
    PROVIDER_ERROR,
    PROVIDER_REQUEST,
    PROVIDER_RESPONSE,
)
from amplifier_core.llm_errors import LLMError

from amplifier_jupyter.modules._cancellation import is_cancelled, until_cancelled
from amplifier_jupyter.modules._request_overrides import OVERRIDES
from amplifier_jupyter.modules.context_notebook import NotebookContext
from amplifier_jupyter.modules.loop_notebook._hooks import HookCalls
from amplifier_jupyter.modules.loop_notebook._limits import limits_for
from amplifier_jupyter.modules.loop_notebook._messages import (
    Injection,
    dump,
    text_of,
    with_injections,
)
from amplifier_jupyter.modules.loop_notebook._models import MessageModels
from amplifier_jupyter.modules.loop_notebook._tools import Cancelled, run_tool

logger = logging.getLogger(__name__)

NAME = "loop-notebook"
DEFAULT_MAX_ITERATIONS = 25
STOPPED_NOTE = "(stopped by the user)"
# The hook name loop-basic gives coordinator.process_hook_result for its own events
# (a stored injection's metadata carries it).
HOOK_NAME = "orchestrator"
# orchestrator:complete's status words (loop-basic's, and loop-streaming's "error").
SUCCESS, INCOMPLETE, CANCELLED, ERROR = "success", "incomplete", "cancelled", "error"


@dataclass
class _Turn:
    """What one ``execute()`` works with and has done so far."""

    prompt: str
    context: Any
    providers: dict[str, Any]
    tools: dict[str, Any]
    hooks: HookCalls
    snapshot: list[dict[str, Any]]
    provider_answered: bool = False
    model_calls: int = 0
    # Rounds of tool calls done: orchestrator:complete's turn_count, as loop-basic counts.
    rounds: int = 0
    # The model ended the turn with text (status success).
    answered: bool = False
    # tool:post hooks' ephemeral injections, for the next request only.
    pending: list[Injection] = field(default_factory=list)

    @property
    def coordinator(self) -> Any:
        return self.hooks.coordinator


async def _snapshot(context: Any) -> list[dict[str, Any]]:
    """The conversation before the turn, to roll back to: context-notebook's messages
    themselves (it never changes one it holds, and ``set_messages`` copies), else a copy.
    """
    if isinstance(context, NotebookContext):
        return context.snapshot()
    return list(await context.get_messages())


class NotebookLoop:
    """The orchestrator mounted by ``loop-notebook`` (see the package docstring)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.max_iterations = int(config.get("max_iterations", DEFAULT_MAX_ITERATIONS))
        if self.max_iterations <= 0:  # upstream uses -1 for "unbounded"; we keep a bound
            self.max_iterations = DEFAULT_MAX_ITERATIONS
        self.default_provider: str | None = config.get("default_provider")
        self.extended_thinking = bool(config.get("extended_thinking", False))
        self.reasoning_effort: str | None = config.get("reasoning_effort")
        self._models = MessageModels()
        if "approval" in config:
            # Fail closed: a policy given here would silently no longer hold.
            raise ValueError(
                "loop-notebook no longer takes 'approval': the approval policy is the hook "
                "module hooks-notebook-approval; put that config under it in the plan's hooks "
                "(in a notebook, %amplifier approve sets it)"
            )

    # -- the turn --------------------------------------------------------

    async def execute(
        self,
        prompt: str,
        context: Any,
        providers: dict[str, Any],
        tools: dict[str, Any],
        hooks: Any,
        coordinator: Any = None,
        **kwargs: Any,
    ) -> str:
        """Run one turn and return the model's final text."""
        calls = HookCalls(hooks, coordinator)
        await calls.emit(EXECUTION_START, {"prompt": prompt, "orchestrator": NAME})
        turn = _Turn(prompt, context, providers, tools, calls, await _snapshot(context))
        status = INCOMPLETE
        final = ""
        try:
            final = await self._turn(turn)
            status = SUCCESS if turn.answered else INCOMPLETE
        except Cancelled:
            status = CANCELLED
            await self._announce_cancel(turn)
            await self._close_turn(turn, STOPPED_NOTE)
        except asyncio.CancelledError:
            status = CANCELLED
            await self._close_turn(turn, STOPPED_NOTE)
            raise
        except BaseException as error:
            status = ERROR
            await self._close_turn(turn, f"(the turn failed: {error})")
            raise
        finally:
            await calls.emit(
                ORCHESTRATOR_COMPLETE,
                {"orchestrator": NAME, "turn_count": turn.rounds, "status": status},
            )
            await calls.emit(EXECUTION_END, {"response": final, "status": status})
        return final

    async def _turn(self, turn: _Turn) -> str:
        hooks = turn.hooks
        submitted = await hooks.applied(PROMPT_SUBMIT, {"prompt": turn.prompt}, HOOK_NAME)
        if submitted.action == "deny":
            return f"Operation denied: {submitted.reason}"
        await turn.context.add_message({"role": "user", "content": turn.prompt})
        provider_name, provider = self._select_provider(turn.providers)
        overrides = {}
        if turn.coordinator is not None:
            overrides = dict(turn.coordinator.get_capability(OVERRIDES) or {})

        while turn.model_calls < self.max_iterations:
            if is_cancelled(turn.coordinator):
                raise Cancelled()
            iteration = turn.model_calls
            turn.model_calls += 1
            model = overrides.get("model") or getattr(provider, "model", None)
            requested = await hooks.applied(
                PROVIDER_REQUEST,
                {"provider": provider_name, "iteration": iteration, "model": model},
                HOOK_NAME,
            )
            if requested.action == "deny":
                return f"Operation denied: {requested.reason}"
            limits = limits_for(provider, model)
            if isinstance(turn.context, NotebookContext):  # its messages, not copies
                messages = await turn.context.snapshot_for_request(provider=limits)
            else:
                messages = await turn.context.get_messages_for_request(provider=limits)
            injections = [i for i in (Injection.of(requested),) if i is not None] + turn.pending
            turn.pending = []
            request = self._request(turn, with_injections(messages, injections), overrides)
            started = time.perf_counter()
            response = await self._complete(turn, provider_name, provider, request)
            latency_ms = int((time.perf_counter() - started) * 1000)
            turn.provider_answered = True
            calls = (
                provider.parse_tool_calls(response)
                if hasattr(provider, "parse_tool_calls")
                else list(response.tool_calls or [])
            )
            await self._announce_response(turn, provider_name, model, response, calls, latency_ms)
            message: dict[str, Any] = {"role": "assistant"}
            blocks = [dump(b) for b in response.content]
            if response.metadata:
                message["metadata"] = response.metadata
            if not calls:
                text = text_of(response.content)
                await turn.context.add_message({**message, "content": blocks or text})
                turn.answered = bool(text)
                return await self._complete_prompt(turn, text)
            message["content"] = blocks
            message["tool_calls"] = [
                {"id": c.id, "tool": c.name, "arguments": dict(c.arguments or {})} for c in calls
            ]
            await turn.context.add_message(message)
            await self._run_tools(turn, calls)
        note = f"(stopped after {self.max_iterations} model calls; run the cell again to go on)"
        await turn.context.add_message({"role": "assistant", "content": note})
        return await self._complete_prompt(turn, note)

    async def _run_tools(self, turn: _Turn, calls: list[Any]) -> None:
        """A response's tool calls, one after the other under one ``parallel_group_id``.

        Sequentially: a notebook user approves one call at a time.
        """
        group = str(uuid.uuid4())
        for call in calls:
            if is_cancelled(turn.coordinator):
                raise Cancelled()
            answer = await run_tool(call, turn.tools, turn.hooks, group)
            if answer.injection is not None:
                turn.pending.append(answer.injection)
            await turn.context.add_message(
                {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": answer.text}
            )
        turn.rounds += 1

    async def _complete_prompt(self, turn: _Turn, text: str) -> str:
        """``prompt:complete`` for the text the turn ends with; returns it."""
        preview = {"response_preview": text[:200], "length": len(text)}
        await turn.hooks.emit(PROMPT_COMPLETE, preview)
        return text

    # -- the provider ----------------------------------------------------

    def _select_provider(self, providers: dict[str, Any]) -> tuple[str, Any]:
        """``default_provider`` when mounted, else the lowest ``priority`` (as loop-basic
        picks: 100 unless the provider or its config says; ties in mount order)."""
        if not providers:
            raise RuntimeError(
                "No provider is mounted: add one to the plan's providers "
                "(provider-claude, or the offline provider-scripted)"
            )
        if self.default_provider and self.default_provider in providers:
            return self.default_provider, providers[self.default_provider]

        def priority(item: tuple[str, Any]) -> Any:
            provider = item[1]
            if hasattr(provider, "priority"):
                return provider.priority
            config = getattr(provider, "config", None)
            return config.get("priority", 100) if isinstance(config, dict) else 100

        return min(providers.items(), key=priority)

    def _request(
        self, turn: _Turn, messages: list[dict[str, Any]], overrides: dict[str, Any]
    ) -> ChatRequest:
        specs = [
            ToolSpec(name=t.name, description=t.description, parameters=t.input_schema or {})
            for t in turn.tools.values()
        ]
        fields: dict[str, Any] = {"reasoning_effort": self.reasoning_effort, **overrides}
        models = self._models.of(messages, reuse=isinstance(turn.context, NotebookContext))
        return ChatRequest(messages=models, tools=specs or None, **fields)

    async def _complete(
        self, turn: _Turn, provider_name: str, provider: Any, request: ChatRequest
    ) -> Any:
        """The model call, given up at once on Stop; a failure is ``provider:error``."""
        kwargs = {"extended_thinking": True} if self.extended_thinking else {}
        # The call runs in a task of its own (to be given up on Stop), in this copy of
        # the context: the correlation id amplifier-core keeps there for the call's
        # llm:request is read back for provider:error, as the kernel would echo it.
        call_context = contextvars.copy_context()
        try:
            return await until_cancelled(
                provider.complete(request, **kwargs),
                turn.coordinator,
                Cancelled,
                context=call_context,
            )
        except Cancelled:
            raise
        except Exception as error:
            if is_cancelled(turn.coordinator):  # e.g. a provider's AbortError on Stop
                raise Cancelled() from None
            payload: dict[str, Any] = {
                "provider": provider_name,
                "error": {"type": type(error).__name__, "msg": str(error)},
            }
            if isinstance(error, LLMError):
                payload.update(retryable=error.retryable, status_code=error.status_code)
            request_id = call_context.run(current_request_id)
            if request_id:
                payload["request_id"] = request_id
            await turn.hooks.emit(PROVIDER_ERROR, payload)
            raise

    async def _announce_response(
        self,
        turn: _Turn,
        provider_name: str,
        model: str | None,
        response: Any,
        calls: list[Any],
        latency_ms: int,
    ) -> None:
        """``provider:response``, then ``content_block:start|end`` per block of the
        response's ``content_blocks``, as loop-basic emits them.

        Upstream providers (provider-anthropic) set ``content_blocks`` and leave
        these events to the loop; the built-in providers set none and emit their
        own ``content_block:*`` events while they stream, so nothing is doubled.
        """
        metadata = response.metadata or {}
        usage = dump(response.usage)
        await turn.hooks.emit(
            PROVIDER_RESPONSE,
            {
                "provider": provider_name,
                "model": metadata.get("model", model),
                "usage": usage,
                "tool_calls": bool(calls),
                "latency_ms": latency_ms,
                "finish_reason": response.finish_reason,
            },
        )
        blocks = getattr(response, "content_blocks", None) or []
        for index, block in enumerate(blocks):
            position = {"block_index": index, "total_blocks": len(blocks)}
            kind = getattr(block.type, "value", block.type)
            await turn.hooks.emit(CONTENT_BLOCK_START, {"block_type": kind, **position})
            end: dict[str, Any] = {**position, "block": block.to_dict()}
            if response.usage is not None:
                end["usage"] = response.usage.model_dump()
            await turn.hooks.emit(CONTENT_BLOCK_END, end)

    # -- the end of a stopped or failed turn ------------------------------

    async def _announce_cancel(self, turn: _Turn) -> None:
        """``cancel:requested``, the token's callbacks, ``cancel:completed`` (as loop-basic)."""
        token = getattr(turn.coordinator, "cancellation", None)
        if token is None:
            return
        emit = turn.hooks.emit
        await emit(
            CANCEL_REQUESTED,
            {"orchestrator": NAME, "state": str(token.state), "turn_count": turn.rounds},
        )
        try:
            await token.trigger_callbacks()
        except Exception as error:  # a callback's failure must not keep the turn open
            logger.warning("a cancellation callback failed: %s", error)
        await emit(
            CANCEL_COMPLETED,
            {"orchestrator": NAME, "was_immediate": token.is_immediate, "turn_count": turn.rounds},
        )

    async def _close_turn(self, turn: _Turn, note: str) -> None:
        """Leave a valid conversation after a stop or a failure.

        Nothing reached the model: the turn is rolled back (the prompt is still
        in the cell). Otherwise every open tool call gets a result and the turn
        ends with a short assistant note, so the next request is well formed.
        """
        context = turn.context
        if not turn.provider_answered:
            await context.set_messages(turn.snapshot)
            return
        messages = await context.get_messages()
        answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
        last_assistant: dict[str, Any] = next(
            (m for m in reversed(messages) if m.get("role") == "assistant"), {}
        )
        for call in last_assistant.get("tool_calls") or []:
            if call.get("id") not in answered:
                await context.add_message(
                    {
                        "role": "tool",
                        "tool_call_id": call.get("id"),
                        "name": call.get("tool"),
                        "content": f"Not run: {note}",
                    }
                )
        messages = await context.get_messages()
        if not messages or messages[-1].get("role") != "assistant":
            await context.add_message({"role": "assistant", "content": note})
