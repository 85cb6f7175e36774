"""``loop-basic-like``: a test orchestrator that behaves as Amplifier's own ``loop-basic``.

Written in this project (upstream modules are not on PyPI and CI reaches no git
host: docs/design.md, fact 25) from what was measured and read of
``microsoft/amplifier-module-loop-basic`` (its ``__init__.py`` at commit 937a53f,
read 2026-12-01; the description in issue 15; docs/design.md, facts 3 and 23). It
knows nothing of this project's approval policy or panel. What it does, as
upstream does:

* ``prompt:submit`` ``{prompt}``; the result goes through
  ``coordinator.process_hook_result`` and a ``deny`` ends the turn with
  ``"Operation denied: <reason>"`` (no user message, no provider call, no
  ``orchestrator:complete``).
* Each model call: ``provider:request`` ``{provider, iteration}`` (0 first); an
  ephemeral ``inject_context`` result is appended to that request only, never
  stored (``append_to_last_tool_result`` appends it to a last tool message); a
  non-ephemeral one is stored by ``process_hook_result`` itself.
  Then ``provider.complete(request)`` with ``extended_thinking=True`` when the
  config says so and ``reasoning_effort`` from the config in the request.
* ``provider:response`` ``{provider, usage, tool_calls: bool}`` with ``usage`` the
  provider's model object, not a dict (amplifier-core hands it to a hook as its
  ``str()``: fact 23, issue 15).
* ``content_block:start`` / ``content_block:end`` per block of the response's
  ``content_blocks`` (which upstream providers such as provider-anthropic set and
  provider-scripted does not), no deltas: it does not stream. (provider-scripted
  with ``stream: true`` emits its own ``content_block:*`` events, deltas too,
  under any loop.)
* The tool calls of one response run in parallel with one ``parallel_group_id``:
  ``tool:pre`` ``{tool_name, tool_input, parallel_group_id}`` (``deny`` skips the
  tool; the model reads ``"Denied by hook: <reason>"``), ``tool:post``
  ``{tool_name, tool_input, result, parallel_group_id}``. When the hook registry
  hands back a ``result`` that is not the object sent, that is what the model
  reads (JSON if a dict or list, else ``str``). amplifier-core 2.0.2 always
  hands back a copy, so the model reads the registry's rendering of the
  ``ToolResult`` (``str(output)``: a Python repr for a dict output), or a hook's
  ``modify`` replacement; only a ``tool:post`` that ends in ``inject_context`` or
  ``deny`` (no data) leaves ``get_serialized_output()``. An ephemeral
  ``inject_context`` on ``tool:post`` goes into the next request only. A tool
  call without input (``arguments == {}``) fails the whole turn with
  ``AttributeError: 'ToolCall' object has no attribute 'get'`` and a
  ``provider:error``, as upstream's does (see ``_call_field``).
* ``prompt:complete`` ``{response_preview, length}``, then
  ``orchestrator:complete`` ``{orchestrator: "loop-basic", turn_count, status}``,
  status ``success`` (an answer) or ``incomplete`` (none).
* Cancellation is checked only at the start of each iteration
  (``is_cancelled``) and, for an immediate cancel only, right after a provider
  call and after a round of tools: never during a provider call, so a graceful
  cancel waits out the call in progress (12–17 s measured, fact 23). On cancel:
  ``cancel:requested`` (once per turn, then the token's callbacks),
  ``cancel:completed`` and ``orchestrator:complete`` with status ``cancelled``.
  An immediate cancel seen after a round of tools keeps the results and adds a
  closing assistant message; a graceful one stops at the next iteration's start
  with the results kept and no closing message. (amplifier-core then emits a
  ``cancel:completed`` ``{was_immediate}`` of its own.)

Not modelled: ``max_iterations`` (upstream's default is unlimited, as here), the
``delegate`` display names, the handling of a ``CancelledError`` raised into the
tools (cancelling the task awaiting ``execute()`` does not reach an orchestrator:
fact 3). ``loop-streaming-like`` is derived from this class.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from amplifier_core import ChatRequest, HookResult, Message, ToolSpec
from amplifier_core.events import (
    CANCEL_COMPLETED,
    CANCEL_REQUESTED,
    CONTENT_BLOCK_END,
    CONTENT_BLOCK_START,
    ORCHESTRATOR_COMPLETE,
    PROMPT_COMPLETE,
    PROMPT_SUBMIT,
    PROVIDER_ERROR,
    PROVIDER_REQUEST,
    PROVIDER_RESPONSE,
    TOOL_ERROR,
    TOOL_POST,
    TOOL_PRE,
)
from amplifier_core.llm_errors import LLMError

__amplifier_module_type__ = "orchestrator"
__all__ = ["BasicLikeLoop", "Turn", "mount", "text_of"]

logger = logging.getLogger(__name__)

# What closes a turn stopped after its tools ran (upstream adds such a message too).
CANCELLED_NOTE = "(cancelled by the user; the results of the tools that ran are kept)"

# A tool's answer as the loop keeps it: (tool_call_id, tool name, what the model reads).
ToolAnswer = tuple[str, str, str]


@dataclass
class Turn:
    """What one ``execute()`` works with."""

    prompt: str
    context: Any
    providers: dict[str, Any]
    tools: dict[str, Any]
    hooks: Any
    coordinator: Any
    provider_name: str | None = None
    provider: Any = None
    iteration: int = 0
    answer: str = ""
    # The iteration that produced the answer (loop-streaming reports it as turn_count).
    answer_iteration: int = 0

    @property
    def token(self) -> Any:
        return getattr(self.coordinator, "cancellation", None)

    def cancelled(self) -> bool:
        return bool(self.token is not None and self.token.is_cancelled)

    def immediate(self) -> bool:
        return bool(self.token is not None and self.token.is_immediate)


def block_type(block: Any) -> Any:
    kind = block.get("type", "text") if isinstance(block, dict) else getattr(block, "type", None)
    return getattr(kind, "value", kind)


def dump(block: Any) -> Any:
    return block.model_dump() if hasattr(block, "model_dump") else block


def text_of(content: Any) -> str:
    """The text blocks of a response's content, joined by blank lines."""
    if not isinstance(content, list):
        return content or ""
    parts = []
    for block in content:
        if block_type(block) != "text":
            continue
        text = block.get("text") if isinstance(block, dict) else getattr(block, "text", None)
        if text is not None:
            parts.append(text)
    return "\n\n".join(parts)


def injection_of(result: HookResult) -> dict[str, Any]:
    return {
        "role": result.context_injection_role,
        "content": result.context_injection,
        "append": result.append_to_last_tool_result,
    }


def is_ephemeral_injection(result: HookResult) -> bool:
    return bool(result.action == "inject_context" and result.ephemeral and result.context_injection)


def with_injection(messages: list[dict[str, Any]], injection: dict[str, Any]) -> None:
    """Add an ephemeral injection to a request's messages (never to the context)."""
    last = messages[-1] if messages else None
    if injection["append"] and last is not None and last.get("role") == "tool":
        messages[-1] = {**last, "content": f"{last.get('content', '')}\n\n{injection['content']}"}
    else:
        messages.append({"role": injection["role"], "content": injection["content"]})


class BasicLikeLoop:
    """The loop described in the module docstring; subclasses change single steps."""

    name = "loop-basic"
    # loop-basic asks again when a response has neither text nor tool calls.
    retries_empty_response = True

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = dict(config)
        self.extended_thinking = bool(self.config.get("extended_thinking", False))
        self._pending: list[dict[str, Any]] = []
        self._cancel_announced = False

    # -- the turn --------------------------------------------------------------------

    async def execute(
        self,
        prompt: str,
        context: Any,
        providers: dict[str, Any],
        tools: dict[str, Any],
        hooks: Any,
        coordinator: Any = None,
    ) -> str:
        """Run one turn (the orchestrator contract's entry point)."""
        return await self._execute(Turn(prompt, context, providers, tools, hooks, coordinator))

    async def _execute(self, turn: Turn) -> str:
        return await self._run(turn)

    async def _run(self, turn: Turn) -> str:
        self._cancel_announced = False
        denied = await self._submit(turn)
        if denied is not None:
            return denied
        await turn.context.add_message({"role": "user", "content": turn.prompt})
        turn.provider_name, turn.provider = self._select_provider(turn.providers)
        while True:
            if turn.cancelled():
                await self._stop(turn)
                return turn.answer
            self._begin_round(turn)
            result = await self._emit_applied(
                turn,
                PROVIDER_REQUEST,
                {"provider": turn.provider_name, "iteration": turn.iteration},
                "orchestrator",
            )
            if result.action == "deny":
                return self._answered(turn, f"Operation denied: {result.reason}")
            request = await self._request(turn, result)
            try:
                outcome = await self._round(turn, request)
            except LLMError as error:
                await self._provider_error(
                    turn, error, retryable=error.retryable, status_code=error.status_code
                )
                raise
            except Exception as error:
                await self._provider_error(turn, error)
                raise
            if outcome == "stopped":
                return turn.answer
            if outcome == "answered":
                break
            self._end_round(turn)
        await self._finish(turn)
        return turn.answer

    async def _submit(self, turn: Turn) -> str | None:
        """``prompt:submit``; the text to return when a hook denies the turn."""
        result = await self._emit_applied(
            turn, PROMPT_SUBMIT, {"prompt": turn.prompt}, "orchestrator"
        )
        if result.action == "deny":
            return f"Operation denied: {result.reason}"
        return None

    def _begin_round(self, turn: Turn) -> None:
        """Before a model call (loop-basic counts rounds from 0 and after them)."""

    def _end_round(self, turn: Turn) -> None:
        turn.iteration += 1

    async def _round(self, turn: Turn, request: ChatRequest) -> str:
        """One model call and what follows: ``answered``, ``again`` or ``stopped``."""
        response = await self._complete(turn, request)
        if self._stop_after_call(turn):
            await self._stop(turn)
            return "stopped"
        await self._announce_response(turn, response)
        calls = self._tool_calls(turn, response)
        if calls:
            await turn.context.add_message(self._assistant_message(response, calls))
            answers = await self._run_tools(turn, calls)
            for call_id, tool_name, content in answers:
                await turn.context.add_message(self._tool_message(call_id, tool_name, content))
            if self._stop_after_tools(turn):
                await self._stop(turn)
                await turn.context.add_message({"role": "assistant", "content": CANCELLED_NOTE})
                return "stopped"
            return "again"
        if not response.content and self.retries_empty_response:
            logger.warning("the provider returned neither content nor tool calls")
            return "again"
        self._answered(turn, self._answer_text(response))
        await turn.context.add_message(self._assistant_message(response, None))
        return "answered"

    def _answered(self, turn: Turn, text: str) -> str:
        turn.answer = text
        if text:
            turn.answer_iteration = turn.iteration
        return text

    async def _finish(self, turn: Turn) -> None:
        answer = turn.answer or ""
        await turn.hooks.emit(
            PROMPT_COMPLETE, {"response_preview": answer[:200], "length": len(answer)}
        )
        await self._complete_event(turn, "success" if answer else "incomplete")

    async def _complete_event(self, turn: Turn, status: str) -> None:
        await turn.hooks.emit(
            ORCHESTRATOR_COMPLETE,
            {"orchestrator": self.name, "turn_count": turn.iteration, "status": status},
        )

    # -- hooks -----------------------------------------------------------------------

    async def _emit_applied(
        self, turn: Turn, event: str, data: dict[str, Any], hook_name: str
    ) -> HookResult:
        """Emit ``event`` and let the coordinator apply the result (ask_user, injections)."""
        result = await turn.hooks.emit(event, data)
        if turn.coordinator is None:
            return result
        return await turn.coordinator.process_hook_result(result, event, hook_name)

    # -- cancellation ----------------------------------------------------------------

    def _stop_after_call(self, turn: Turn) -> bool:
        return turn.immediate()

    def _stop_after_tools(self, turn: Turn) -> bool:
        return turn.immediate()

    async def _stop(self, turn: Turn) -> None:
        """The cancel events, then (loop-basic) ``orchestrator:complete`` cancelled."""
        await self._announce_cancel(turn)
        await self._complete_event(turn, "cancelled")

    async def _announce_cancel(self, turn: Turn) -> None:
        token = turn.token
        if not self._cancel_announced:
            self._cancel_announced = True
            await turn.hooks.emit(
                CANCEL_REQUESTED,
                {
                    "orchestrator": self.name,
                    "state": str(token.state),
                    "turn_count": turn.iteration,
                },
            )
            try:
                await token.trigger_callbacks()
            except Exception as error:
                logger.warning("a cancellation callback failed: %s", error)
        await turn.hooks.emit(
            CANCEL_COMPLETED,
            {
                "orchestrator": self.name,
                "was_immediate": token.is_immediate,
                "turn_count": turn.iteration,
            },
        )

    # -- the provider ----------------------------------------------------------------

    @staticmethod
    def _select_provider(providers: dict[str, Any]) -> tuple[str, Any]:
        """The provider with the lowest ``priority`` (default 100; ties: mount order)."""

        def priority(provider: Any) -> Any:
            if hasattr(provider, "priority"):
                return provider.priority
            config = getattr(provider, "config", None)
            return config.get("priority", 100) if isinstance(config, dict) else 100

        ranked = sorted(providers.items(), key=lambda item: priority(item[1]))
        if not ranked:
            raise RuntimeError("No provider available")
        return ranked[0]

    async def _request(self, turn: Turn, request_result: HookResult) -> ChatRequest:
        """The request: the context's messages, this request's ephemeral injections."""
        context = turn.context
        if hasattr(context, "get_messages_for_request"):
            messages = list(await context.get_messages_for_request(provider=turn.provider))
        else:
            messages = list(await context.get_messages())
        injections = (
            [injection_of(request_result)] if is_ephemeral_injection(request_result) else []
        )
        injections += self._pending
        self._pending = []
        for injection in injections:
            with_injection(messages, injection)
        specs = [
            ToolSpec(name=t.name, description=t.description, parameters=t.input_schema)
            for t in turn.tools.values()
        ]
        return ChatRequest(
            messages=[Message(**m) for m in messages],
            tools=specs or None,
            reasoning_effort=self.config.get("reasoning_effort"),
        )

    async def _complete(self, turn: Turn, request: ChatRequest) -> Any:
        provider = turn.provider
        if not hasattr(provider, "complete"):
            raise RuntimeError(f"Provider {turn.provider_name} missing 'complete'")
        kwargs = {"extended_thinking": True} if self.extended_thinking else {}
        return await provider.complete(request, **kwargs)

    async def _provider_error(self, turn: Turn, error: Exception, **extra: Any) -> None:
        await turn.hooks.emit(
            PROVIDER_ERROR,
            {
                "provider": turn.provider_name,
                "error": {"type": type(error).__name__, "msg": str(error)},
                **extra,
            },
        )

    async def _announce_response(self, turn: Turn, response: Any) -> None:
        usage = getattr(response, "usage", None)
        calls = getattr(response, "tool_calls", None)
        await turn.hooks.emit(
            PROVIDER_RESPONSE,
            {"provider": turn.provider_name, "usage": usage, "tool_calls": bool(calls)},
        )
        blocks = getattr(response, "content_blocks", None) or []
        for index, block in enumerate(blocks):
            position = {"block_index": index, "total_blocks": len(blocks)}
            await turn.hooks.emit(CONTENT_BLOCK_START, {"block_type": block.type.value, **position})
            end = {**position, "block": block.to_dict()}
            if usage:
                end["usage"] = dump(usage)
            await turn.hooks.emit(CONTENT_BLOCK_END, end)

    def _tool_calls(self, turn: Turn, response: Any) -> list[Any]:
        return list(getattr(response, "tool_calls", None) or [])

    def _answer_text(self, response: Any) -> str:
        return text_of(response.content)

    def _assistant_message(self, response: Any, calls: list[Any] | None) -> dict[str, Any]:
        content = response.content
        if isinstance(content, list) and content:
            content = [dump(block) for block in content]
        message: dict[str, Any] = {"role": "assistant", "content": content or ""}
        if calls:
            message["tool_calls"] = [
                {
                    "id": self._call_field(call, "id", "id"),
                    "tool": self._call_field(call, "name", "tool"),
                    "arguments": self._call_field(call, "arguments", "arguments") or {},
                }
                for call in calls
            ]
        if getattr(response, "metadata", None):
            message["metadata"] = response.metadata
        return message

    # -- tools -----------------------------------------------------------------------

    @staticmethod
    def _call_field(call: Any, attribute: str, key: str) -> Any:
        """A tool call's field as loop-basic reads it: the attribute, or else the dict key.

        On a ``ToolCall`` whose attribute is empty (``arguments == {}``: a tool
        called without input) the dict lookup raises ``AttributeError: 'ToolCall'
        object has no attribute 'get'``, and the turn fails with it, as upstream's
        does (measured running its source, 2026-12-01).
        """
        return getattr(call, attribute, None) or call.get(key)

    async def _run_tools(self, turn: Turn, calls: list[Any]) -> list[ToolAnswer]:
        """All tool calls of one response at once, under one ``parallel_group_id``."""
        group = str(uuid.uuid4())
        return list(await asyncio.gather(*(self._run_tool(turn, call, group) for call in calls)))

    def _tool_ids(self, call_id: str) -> dict[str, Any]:
        """Extra keys of the ``tool:*`` payloads (loop-basic has none)."""
        return {}

    def _sent_result(self, result: Any) -> Any:
        """What ``tool:post`` carries as ``result``: the ToolResult itself in loop-basic."""
        return result.to_dict() if hasattr(result, "to_dict") else result

    async def _execute_tool(self, tool: Any, arguments: dict[str, Any]) -> Any:
        return await tool.execute(arguments)

    def _tool_message(self, call_id: str, tool_name: str, content: str) -> dict[str, Any]:
        return {"role": "tool", "tool_call_id": call_id, "content": content}

    async def _run_tool(self, turn: Turn, call: Any, group: str) -> ToolAnswer:
        name = self._call_field(call, "name", "tool")
        call_id = self._call_field(call, "id", "id")
        arguments = self._call_field(call, "arguments", "arguments") or {}
        token = turn.token
        if token is not None:
            token.register_tool_start(call_id, name)
        base = {"tool_name": name, **self._tool_ids(call_id), "tool_input": arguments}
        try:
            pre = await self._emit_applied(
                turn, TOOL_PRE, {**base, "parallel_group_id": group}, name
            )
            if pre.action == "deny":
                return call_id, name, f"Denied by hook: {pre.reason}"
            tool = turn.tools.get(name)
            if tool is None:
                message = f"Error: Tool '{name}' not found"
                await self._tool_error(turn, base, group, "RuntimeError", message)
                return call_id, name, message
            result = await self._execute_tool(tool, arguments)
            sent = self._sent_result(result)
            post = await turn.hooks.emit(
                TOOL_POST, {**base, "result": sent, "parallel_group_id": group}
            )
            if turn.coordinator is not None:
                await turn.coordinator.process_hook_result(post, TOOL_POST, name)
            if is_ephemeral_injection(post):
                self._pending.append(injection_of(post))
            return call_id, name, self._model_reads(result, sent, post)
        except Exception as error:
            await self._tool_error(turn, base, group, type(error).__name__, str(error))
            return call_id, name, f"Error executing tool: {error}"
        finally:
            if token is not None:
                token.register_tool_complete(call_id)

    @staticmethod
    def _model_reads(result: Any, sent: Any, post: HookResult) -> str:
        """The tool's answer: a ``result`` handed back by the hooks, else the serialized one."""
        returned = post.data.get("result") if post.data is not None else None
        if returned is not None and returned is not sent:
            return json.dumps(returned) if isinstance(returned, dict | list) else str(returned)
        return result.get_serialized_output()

    async def _tool_error(
        self, turn: Turn, base: dict[str, Any], group: str, kind: str, message: str
    ) -> None:
        payload = {key: value for key, value in base.items() if key != "tool_input"}
        await turn.hooks.emit(
            TOOL_ERROR,
            {**payload, "error": {"type": kind, "msg": message}, "parallel_group_id": group},
        )


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the loop as the session's orchestrator."""
    await coordinator.mount("orchestrator", BasicLikeLoop(config or {}))
