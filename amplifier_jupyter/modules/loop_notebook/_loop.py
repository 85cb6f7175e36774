"""The agent loop: provider calls, tool calls, hook results, cancellation."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from amplifier_core import ChatRequest, HookResult, Message, ToolSpec

from amplifier_jupyter.modules._cancellation import is_cancelled, until_cancelled

T = TypeVar("T")
NAME = "loop-notebook"
DEFAULT_MAX_ITERATIONS = 25
STOPPED_NOTE = "(stopped by the user)"


class Cancelled(Exception):
    """The user asked to stop; raised at a safe point inside the loop."""


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    return value


def _tool_output_text(result: Any) -> str:
    """What the model reads back from a tool."""
    if result is None:
        return ""
    success = getattr(result, "success", True)
    output = getattr(result, "output", result)
    if not success:
        error = getattr(result, "error", None) or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        text = message or (output if isinstance(output, str) else json.dumps(output, default=str))
        return f"Error: {text}"
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False, default=str)


class _ModelLimits:
    """The provider as the context manager sees it, with the limits of one model.

    A cell may ask for another model than the provider's (``--model``); the
    conversation must fit that model's window, not the configured one's.
    """

    def __init__(self, provider: Any, info: Any) -> None:
        self._provider = provider
        self.context_window = info.context_window
        self.max_output_tokens = info.max_output_tokens

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


def _limits_for(provider: Any, model: str | None) -> Any:
    """``provider``, or a view of it with ``model``'s limits when the cell chose another."""
    if not model or model == getattr(provider, "model", None):
        return provider
    model_info = getattr(provider, "get_model_info", None)
    if model_info is None:
        return provider
    try:
        info = model_info(model)
    except Exception:  # a provider that knows no limits for it: budget as configured
        return provider
    if not getattr(info, "context_window", None) or not getattr(info, "max_output_tokens", None):
        return provider
    return _ModelLimits(provider, info)


class NotebookLoop:
    """The orchestrator mounted by ``loop-notebook`` (see the package docstring)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.max_iterations = int(config.get("max_iterations", DEFAULT_MAX_ITERATIONS))
        if self.max_iterations <= 0:  # upstream uses -1 for "unbounded"; we keep a bound
            self.max_iterations = DEFAULT_MAX_ITERATIONS
        self.default_provider: str | None = config.get("default_provider")
        if "approval" in config:
            # Fail closed: a policy given here would silently no longer hold.
            raise ValueError(
                "loop-notebook no longer takes 'approval': the approval policy is the hook "
                "module hooks-notebook-approval; put that config under it in the plan's hooks "
                "(in a notebook, %amplifier approve sets it)"
            )

    # -- helpers ---------------------------------------------------------

    @staticmethod
    def _cancelled(coordinator: Any) -> bool:
        return is_cancelled(coordinator)

    async def _until_cancelled(self, awaitable: Awaitable[T], coordinator: Any) -> T:
        """Await, but give up at once (``Cancelled``) when the user asks to stop."""
        return await until_cancelled(awaitable, coordinator, Cancelled)

    def _select_provider(self, providers: dict[str, Any]) -> tuple[str, Any]:
        if not providers:
            raise RuntimeError(
                "No provider is mounted: add one to the plan's providers "
                "(provider-claude, or the offline provider-scripted)"
            )
        if self.default_provider and self.default_provider in providers:
            return self.default_provider, providers[self.default_provider]
        name = next(iter(providers))
        return name, providers[name]

    async def _hook(self, hooks: Any, coordinator: Any, event: str, data: dict, name: str):
        result = await hooks.emit(event, data)
        if coordinator is not None and result is not None:
            asked = result.action == "ask_user"
            processed = await coordinator.process_hook_result(result, event, name)
            if asked:
                # The kernel emits no approval events for a hook's question (docs/design.md,
                # fact 8): say how it was decided, as for the loop's own questions.
                granted = processed is None or processed.action != "deny"
                await hooks.emit(
                    "approval:granted" if granted else "approval:denied",
                    {
                        "tool_name": data.get("tool_name"),
                        "decision": "allow" if granted else "deny",
                        "reason": getattr(processed, "reason", None),
                        "prompt": result.approval_prompt,
                        "source": "hook",
                    },
                )
            result = processed
        return result if result is not None else HookResult()

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
        await hooks.emit("execution:start", {"prompt": prompt, "orchestrator": NAME})
        snapshot = await context.get_messages()
        state = {"provider_answered": False, "iterations": 0}
        status = "completed"
        final = ""
        try:
            final = await self._turn(prompt, context, providers, tools, hooks, coordinator, state)
        except Cancelled:
            status = "cancelled"
            await self._close_turn(context, snapshot, state, STOPPED_NOTE)
        except asyncio.CancelledError:
            status = "cancelled"
            await self._close_turn(context, snapshot, state, STOPPED_NOTE)
            raise
        except BaseException as error:
            status = "failed"
            await self._close_turn(context, snapshot, state, f"(the turn failed: {error})")
            raise
        finally:
            await hooks.emit(
                "orchestrator:complete",
                {"orchestrator": NAME, "turn_count": state["iterations"], "status": status},
            )
            await hooks.emit("execution:end", {"response": final, "status": status})
        return final

    async def _close_turn(self, context: Any, snapshot: list, state: dict, note: str) -> None:
        """Leave a valid conversation after a stop or a failure.

        Nothing reached the model: the turn is rolled back (the prompt is still
        in the cell). Otherwise every open tool call gets a result and the turn
        ends with a short assistant note, so the next request is well formed.
        """
        if not state["provider_answered"]:
            await context.set_messages(snapshot)
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

    async def _turn(self, prompt, context, providers, tools, hooks, coordinator, state) -> str:
        result = await self._hook(hooks, coordinator, "prompt:submit", {"prompt": prompt}, NAME)
        if result.action == "deny":
            return f"Operation denied: {result.reason}"
        await context.add_message({"role": "user", "content": prompt})
        provider_name, provider = self._select_provider(providers)
        specs = [
            ToolSpec(name=t.name, description=t.description, parameters=t.input_schema or {})
            for t in tools.values()
        ] or None
        overrides = {}
        if coordinator is not None:
            overrides = dict(coordinator.get_capability("notebook.request_overrides") or {})

        while state["iterations"] < self.max_iterations:
            if self._cancelled(coordinator):
                raise Cancelled()
            iteration = state["iterations"]
            state["iterations"] += 1
            model = overrides.get("model") or getattr(provider, "model", None)
            result = await self._hook(
                hooks,
                coordinator,
                "provider:request",
                {"provider": provider_name, "iteration": iteration, "model": model},
                NAME,
            )
            if result.action == "deny":
                return f"Operation denied: {result.reason}"
            messages = await context.get_messages_for_request(provider=_limits_for(provider, model))
            if result.action == "inject_context" and result.ephemeral and result.context_injection:
                messages = [
                    *messages,
                    {"role": result.context_injection_role, "content": result.context_injection},
                ]
            request = ChatRequest(
                messages=[Message(**m) for m in messages], tools=specs, **overrides
            )
            started = time.perf_counter()
            try:
                response = await self._until_cancelled(provider.complete(request), coordinator)
            except Cancelled:
                raise
            except Exception as error:
                if self._cancelled(coordinator):  # e.g. a provider's AbortError on Stop
                    raise Cancelled() from None
                await hooks.emit(
                    "provider:error",
                    {
                        "provider": provider_name,
                        "error": str(error),
                        "error_type": type(error).__name__,
                    },
                )
                raise
            latency_ms = int((time.perf_counter() - started) * 1000)
            state["provider_answered"] = True
            calls = (
                provider.parse_tool_calls(response)
                if hasattr(provider, "parse_tool_calls")
                else list(response.tool_calls or [])
            )
            metadata = response.metadata or {}
            await hooks.emit(
                "provider:response",
                {
                    "provider": provider_name,
                    "model": metadata.get("model", model),
                    "usage": _dump(response.usage),
                    "tool_calls": len(calls),
                    "latency_ms": latency_ms,
                    "finish_reason": response.finish_reason,
                },
            )
            text = "".join(
                getattr(b, "text", "") for b in response.content if getattr(b, "type", "") == "text"
            )
            blocks = [_dump(b) for b in response.content]
            if not calls:
                await context.add_message({"role": "assistant", "content": blocks or text})
                return text
            message: dict[str, Any] = {
                "role": "assistant",
                "content": blocks,
                "tool_calls": [
                    {"id": c.id, "tool": c.name, "arguments": dict(c.arguments or {})}
                    for c in calls
                ],
            }
            if response.metadata:
                message["metadata"] = response.metadata
            await context.add_message(message)
            # Sequentially: a notebook user approves one call at a time.
            for call in calls:
                if self._cancelled(coordinator):
                    raise Cancelled()
                output = await self._run_tool(call, tools, hooks, coordinator)
                await context.add_message(
                    {
                        "role": "tool",
                        "tool_call_id": call.id,
                        "name": call.name,
                        "content": output,
                    }
                )
        note = f"(stopped after {self.max_iterations} model calls; run the cell again to go on)"
        await context.add_message({"role": "assistant", "content": note})
        return note

    async def _run_tool(self, call: Any, tools: dict, hooks: Any, coordinator: Any) -> str:
        """Run and report one tool call (``tool:pre`` hooks may deny it: the approval
        policy is one, ``hooks-notebook-approval``); always returns text for the model."""
        name, args = call.name, dict(call.arguments or {})
        base = {"tool_name": name, "tool_call_id": call.id, "tool_input": args}
        tool = tools.get(name)
        if tool is None:
            error = f"Error: no tool named '{name}' is mounted"
            await hooks.emit("tool:error", {**base, "error": {"type": "NotFound", "msg": error}})
            return error

        result = await self._hook(hooks, coordinator, "tool:pre", dict(base), name)
        if self._cancelled(coordinator):  # e.g. Stop while a hook's question waited
            raise Cancelled()
        if result.action == "deny":
            return f"Denied: {result.reason or 'a hook refused this call'}"
        if coordinator is not None:
            coordinator.cancellation.register_tool_start(call.id, name)
        try:
            outcome = await self._until_cancelled(tool.execute(args), coordinator)
        except Cancelled:
            raise
        except Exception as error:
            if self._cancelled(coordinator):
                raise Cancelled() from None
            await hooks.emit(
                "tool:error",
                {**base, "error": {"type": type(error).__name__, "msg": str(error)}},
            )
            return f"Error: {type(error).__name__}: {error}"
        finally:
            if coordinator is not None:
                coordinator.cancellation.register_tool_complete(call.id)
        output = _tool_output_text(outcome)
        await self._hook(hooks, coordinator, "tool:post", {**base, "result": _dump(outcome)}, name)
        return output
