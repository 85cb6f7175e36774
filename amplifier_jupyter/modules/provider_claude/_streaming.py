"""Relay one SDK message stream to the coordinator's hooks as it arrives.

Events (every payload has ``provider``, ``block_index`` and ``block_type``,
one of ``text``, ``thinking`` or ``tool_call``):

- ``content_block:start`` when a block opens;
- ``content_block:delta`` with ``delta`` (text, thinking, or a piece of the tool
  input's JSON): the SDK's pieces coalesced, at most about one event per
  ``delta_interval`` (``amplifier_jupyter/modules/_deltas.py``), all of them
  emitted before the block's end, before a Stop or a failure ends the stream;
- ``content_block:end`` with ``block``, the finished block in stored form;
- ``thinking:delta`` (``delta``) and ``thinking:final`` (``text``) for thinking.

After a ``provider:retry`` the blocks start again from index 0.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from amplifier_core.llm_errors import AbortError

from amplifier_jupyter.modules._deltas import DEFAULT_INTERVAL, DeltaBuffer

from ._errors import PROVIDER, StreamCut
from ._mapping import block_to_dict, block_type

Emit = Callable[[str, dict[str, Any]], Awaitable[Any]]


class StreamRelay:
    """Reads a ``messages.stream`` to its end, emitting events; returns the final message."""

    def __init__(
        self,
        emit: Emit,
        cancelled: Callable[[], bool],
        model: str,
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self._emit = emit
        self._cancelled = cancelled
        self._model = model
        self._types: dict[int, str] = {}
        self._deltas = DeltaBuffer(emit, PROVIDER, interval)
        self.events = 0

    def _base(self, index: int) -> dict[str, Any]:
        return {"provider": PROVIDER, "block_index": index, "block_type": self._types[index]}

    async def run(self, stream: Any) -> Any:
        """Consume ``stream``; raise ``AbortError`` on Stop, ``StreamCut`` if it ends early.

        Whatever ends it (a Stop, a cut, the task cancelled), the pieces that came are
        emitted first.
        """
        try:
            return await self._read(stream)
        except (Exception, asyncio.CancelledError):
            with contextlib.suppress(Exception):  # the stream's own error is the one to raise
                await self._deltas.flush()
            raise

    async def _read(self, stream: Any) -> Any:
        finished = False
        async for event in stream:
            if self._cancelled():
                raise AbortError("stopped by the user", provider=PROVIDER, model=self._model)
            self.events += 1
            kind = event.type
            if kind == "content_block_start":
                await self._start(event.index, event.content_block.type)
            elif kind == "content_block_delta":
                await self._delta(event.index, event.delta)
            elif kind == "content_block_stop":
                await self._end(event.index, getattr(event, "content_block", None))
            elif kind == "message_stop":
                finished = True
        if not finished:
            # The connection closed cleanly but the answer is incomplete.
            raise StreamCut(f"no message_stop after {self.events} events", model=self._model)
        await self._deltas.flush()
        return stream.current_message_snapshot

    async def _start(self, index: int, api_type: str) -> None:
        await self._deltas.flush()
        self._types[index] = block_type(api_type)
        await self._emit("content_block:start", self._base(index))

    async def _delta(self, index: int, delta: Any) -> None:
        kind = delta.type
        if kind == "text_delta":
            piece = delta.text
        elif kind == "thinking_delta":
            piece = delta.thinking
        elif kind == "input_json_delta":
            piece = delta.partial_json
        else:  # signature_delta, citations_delta: nothing to show
            return
        block = self._types.get(index)
        if block is not None:
            await self._deltas.add(index, block, piece)

    async def _end(self, index: int, block: Any) -> None:
        await self._deltas.flush()
        if index not in self._types or block is None:
            return
        data = block_to_dict(block)
        await self._emit("content_block:end", {**self._base(index), "block": data})
        if data["type"] == "thinking":
            await self._emit("thinking:final", {**self._base(index), "text": data["thinking"]})
