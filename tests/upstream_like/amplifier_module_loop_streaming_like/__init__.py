"""``loop-streaming-like``: a test orchestrator that behaves as Amplifier's own ``loop-streaming``.

Derived from ``loop-basic-like`` (same package folder), changing only the steps
in which upstream ``loop-streaming`` differs. Read from
``microsoft/amplifier-module-loop-streaming`` (``__init__.py`` at commit e5438b4,
read 2026-12-01) and measured as in docs/design.md, fact 23 ("emits no usage we
read"; cancellation only between model calls):

* ``prompt:submit`` as loop-basic, but an ephemeral ``inject_context`` from it is
  kept for the first request, and a ``deny`` returns ``"Operation denied: …"`` as
  the answer (``orchestrator:complete`` then says ``success``). Then
  ``execution:start`` ``{prompt}``; ``execution:end`` ``{}`` when the loop ends
  without a cancel.
* ``provider:request`` ``{provider, iteration}`` counts from 1. No
  ``provider:response`` at all, so no usage event; the usage only rides in
  ``content_block:end`` as a dict.
* A provider with a ``stream`` attribute is called as
  ``provider.stream(request, tools=[tool objects])`` and its chunks
  (``{"content", "block_type"?}``) are read, skipping non-text blocks. No event
  is emitted per chunk (upstream streams to its caller, not to hooks), tool
  calls are not read on that path, and an immediate cancel between chunks ends
  the turn as if answered, with the partial text (stored as the assistant
  message). A provider without one is called with ``complete()``; its
  ``content_blocks`` give ``content_block:start`` (with ``metadata``: the
  block's ``raw``) and ``:end``, else its ``content`` list does; tool calls come
  from ``provider.parse_tool_calls(response)``. Note: upstream tests only
  ``hasattr(provider, "stream")``, so a provider whose ``stream`` is not a method
  (provider-scripted's ``stream`` was its config flag) fails with ``TypeError:
  'bool' object is not callable``, as here (measured running upstream's source
  against provider-scripted, 2026-12-01).
* ``tool:pre`` / ``tool:post`` / ``tool:error`` carry ``tool_call_id`` too;
  ``tool:post``'s ``result`` is ``ToolResult.model_dump()``, so with amplifier-core
  2.0.2's copy (see loop-basic-like) the model reads that dict as JSON; a tool
  that raises becomes a failed ``ToolResult`` (no ``tool:error``); tool messages
  carry the tool's ``name``.
* Cancellation: ``is_cancelled`` at the start of each iteration and after a
  round of tools (graceful too: results kept, a closing assistant message), never
  during a provider call and not right after one. ``orchestrator:complete``
  ``{orchestrator: "loop-streaming", turn_count, status, goal_turn: None,
  goal_final: True, continuations: None}`` is emitted once, at the end, with
  status ``error`` (it raised), ``cancelled`` (the token is set, even when an
  answer came), ``success`` or ``incomplete``; ``turn_count`` is the iteration of
  the answer (0 without one). No ``prompt:complete``.

Not modelled: goals, steering, rate limiting, ``stream_delay``, ``max_iterations``.
"""

from __future__ import annotations

from typing import Any

from amplifier_core import ChatRequest, ToolResult
from amplifier_core.events import (
    CONTENT_BLOCK_END,
    CONTENT_BLOCK_START,
    EXECUTION_END,
    EXECUTION_START,
    ORCHESTRATOR_COMPLETE,
    PROMPT_SUBMIT,
)
from amplifier_module_loop_basic_like import (
    BasicLikeLoop,
    Turn,
    block_type,
    dump,
    injection_of,
    is_ephemeral_injection,
    text_of,
)

__amplifier_module_type__ = "orchestrator"
__all__ = ["StreamingLikeLoop", "mount"]


class StreamingLikeLoop(BasicLikeLoop):
    """loop-basic-like with loop-streaming's differences (module docstring)."""

    name = "loop-streaming"
    retries_empty_response = False

    async def _execute(self, turn: Turn) -> str:
        """The turn, then the one ``orchestrator:complete`` (``error`` when it raised)."""
        try:
            answer = await self._run(turn)
        except Exception:
            await self._complete_event(turn, "error")
            raise
        status = "cancelled" if turn.cancelled() else ("success" if answer else "incomplete")
        await self._complete_event(turn, status)
        return answer

    async def _complete_event(self, turn: Turn, status: str) -> None:
        await turn.hooks.emit(
            ORCHESTRATOR_COMPLETE,
            {
                "orchestrator": self.name,
                "turn_count": turn.answer_iteration,
                "status": status,
                "goal_turn": None,
                "goal_final": True,
                "continuations": None,
            },
        )

    async def _submit(self, turn: Turn) -> str | None:
        result = await self._emit_applied(
            turn, PROMPT_SUBMIT, {"prompt": turn.prompt}, "orchestrator"
        )
        if result.action == "deny":
            return self._answered(turn, f"Operation denied: {result.reason}")
        if is_ephemeral_injection(result):
            self._pending.append(injection_of(result))
        await turn.hooks.emit(EXECUTION_START, {"prompt": turn.prompt})
        return None

    def _begin_round(self, turn: Turn) -> None:
        turn.iteration += 1

    def _end_round(self, turn: Turn) -> None:
        """Counted at the start of a round instead."""

    def _stop_after_call(self, turn: Turn) -> bool:
        return False

    def _stop_after_tools(self, turn: Turn) -> bool:
        return turn.cancelled()

    async def _stop(self, turn: Turn) -> None:
        """Only the cancel events: ``orchestrator:complete`` comes from ``execute``."""
        await self._announce_cancel(turn)

    async def _finish(self, turn: Turn) -> None:
        await turn.hooks.emit(EXECUTION_END, {})

    async def _round(self, turn: Turn, request: ChatRequest) -> str:
        if not hasattr(turn.provider, "stream"):
            return await super()._round(turn, request)
        chunks = turn.provider.stream(request, tools=list(turn.tools.values()))
        text = ""
        async for chunk in chunks:
            if turn.immediate():
                break  # the partial text is kept, and the turn ends as answered
            kind = chunk.get("block_type")
            if kind and kind != "text":
                continue
            text += chunk.get("content", "")
        if text:
            await turn.context.add_message({"role": "assistant", "content": text})
        self._answered(turn, text)
        return "answered"

    async def _announce_response(self, turn: Turn, response: Any) -> None:
        usage = dump(response.usage) if response.usage else None
        blocks = getattr(response, "content_blocks", None)
        if blocks:
            for index, block in enumerate(blocks):
                await self._block_events(
                    turn,
                    index,
                    len(blocks),
                    {"block_type": block.type.value, "metadata": getattr(block, "raw", None)},
                    block.to_dict(),
                    usage,
                )
        elif isinstance(response.content, list):
            for index, block in enumerate(response.content):
                dumped = dump(block)
                kind = dumped.get("type", "text") if isinstance(dumped, dict) else "text"
                await self._block_events(
                    turn, index, len(response.content), {"block_type": kind}, dumped, usage
                )

    @staticmethod
    async def _block_events(
        turn: Turn,
        index: int,
        total: int,
        start: dict[str, Any],
        block: Any,
        usage: dict[str, Any] | None,
    ) -> None:
        position = {"block_index": index, "total_blocks": total}
        await turn.hooks.emit(CONTENT_BLOCK_START, {**start, **position})
        end = {**position, "block": block}
        if usage:
            end["usage"] = usage
        await turn.hooks.emit(CONTENT_BLOCK_END, end)

    def _tool_calls(self, turn: Turn, response: Any) -> list[Any]:
        return list(turn.provider.parse_tool_calls(response) or [])

    def _answer_text(self, response: Any) -> str:
        return getattr(response, "text", None) or text_of(response.content)

    def _assistant_message(self, response: Any, calls: list[Any] | None) -> dict[str, Any]:
        message = super()._assistant_message(response, calls)
        if not isinstance(message["content"], list):
            message["content"] = self._answer_text(response)
        metadata = message.pop("metadata", None)
        for block in response.content if isinstance(response.content, list) else []:
            if block_type(block) == "thinking":
                message["thinking_block"] = dump(block)
                break
        if metadata is not None:
            message["metadata"] = metadata
        return message

    @staticmethod
    def _call_field(call: Any, attribute: str, key: str) -> Any:
        """loop-streaming reads a ``ToolCall``'s attributes only (no empty-input failure)."""
        return getattr(call, attribute)

    def _tool_ids(self, call_id: str) -> dict[str, Any]:
        return {"tool_call_id": call_id}

    def _sent_result(self, result: Any) -> Any:
        return result.model_dump() if hasattr(result, "model_dump") else str(result)

    async def _execute_tool(self, tool: Any, arguments: dict[str, Any]) -> Any:
        try:
            return await tool.execute(arguments)
        except Exception as error:
            return ToolResult(success=False, error={"message": str(error)})

    def _tool_message(self, call_id: str, tool_name: str, content: str) -> dict[str, Any]:
        return {"role": "tool", "name": tool_name, "tool_call_id": call_id, "content": content}


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the loop as the session's orchestrator."""
    await coordinator.mount("orchestrator", StreamingLikeLoop(config or {}))
