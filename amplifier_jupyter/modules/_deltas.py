"""A model's streamed pieces, coalesced before they become events (the built-in providers).

A model streams a block in many small pieces (a token or a word each). Sent one
``content_block:delta`` per piece, a 10,000-word answer was 10,000 trips through
the hook registry, each costing about 0.3 ms with no hook and 0.6 ms more per
Python hook (docs/design.md, fact 10), whatever the view does with them. So the
providers hand their pieces to :class:`DeltaBuffer`, which emits them as fewer,
longer deltas, in the event shape of the contract (``provider``, ``block_index``,
``block_type``, ``delta``): the text of all the pieces since the last one.

- The first piece after a quiet spell (``interval``, 50 ms by default) is emitted
  at once; later ones are held and emitted together with the first piece that
  comes once ``interval`` has passed since the last emit: at most about one event
  per ``interval`` while a block streams.
- :meth:`DeltaBuffer.flush` emits what is held; the providers call it before a
  block's ``content_block:end``, before a piece of another block, and before they
  stop or fail (a Stop, a cut stream), so nothing that came is lost or sent twice
  and the events stay in the order the pieces came.
- Pieces held when the model pauses go out on a timer once ``interval`` has
  passed since the last emit, so a pause mid-block (a long tool input being
  written, a slow model) does not leave the words before it unseen until the
  next piece. The timer's emit runs in a task of its own; every emit goes
  through one lock, so events keep the order the pieces came, and a flush
  waits for a timer's emit under way (a block's end always comes after its
  deltas). An error raised by a timer's emit is raised by the next
  :meth:`DeltaBuffer.add` or :meth:`DeltaBuffer.flush`, as if the provider's
  own emit had raised it.
- A ``thinking`` block's delta is followed by the same text as ``thinking:delta``.
- ``interval`` 0 emits every piece as its own event, as before (no timer).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

# 50 ms: about 20 events a second while a block streams, the rate the panel shows at.
DEFAULT_INTERVAL = 0.05

Emit = Callable[[str, dict[str, Any]], Awaitable[Any]]


class DeltaBuffer:
    """Pieces of streamed blocks in, ``content_block:delta`` events out (see the module
    docstring). ``emit(event, data)`` sends one event; ``clock`` gives seconds."""

    def __init__(
        self,
        emit: Emit,
        provider: str,
        interval: float = DEFAULT_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._emit = emit
        self._provider = provider
        self.interval = interval
        self._clock = clock
        self._pieces: list[str] = []
        self._block: tuple[int, str] | None = None  # (block_index, block_type) held
        self._last = float("-inf")
        self._lock = asyncio.Lock()  # one emit at a time: the stream's, or the timer's
        self._timer: asyncio.TimerHandle | None = None
        self._timer_task: asyncio.Task[None] | None = None
        self._timer_error: BaseException | None = None
        self.events = 0  # content_block:delta events emitted
        self.pieces = 0  # pieces taken

    async def add(self, index: int, block_type: str, piece: str) -> None:
        """One piece of block ``index`` (of ``block_type``): emitted now or held."""
        self._raise_timer_error()
        if not piece:
            return
        self.pieces += 1
        block = (index, block_type)
        if self._block != block:
            await self.flush()
            self._block = block
        self._pieces.append(piece)
        now = self._clock()
        if now - self._last >= self.interval:
            await self._send(now)
        else:
            self._arm(self._last + self.interval - now)

    async def flush(self) -> None:
        """Emit what is held (a block ends, another begins, the stream stops or fails);
        the next block's first piece goes out at once."""
        self._disarm()
        await self._send(float("-inf"))
        self._raise_timer_error()

    # -- the timer: held pieces go out when the model pauses ---------------------------

    def _arm(self, delay: float) -> None:
        if self._timer is None and self._timer_task is None:
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        if not self._pieces:
            return
        wait = self._last + self.interval - self._clock()
        if wait > 0:  # the buffer's clock says not yet (a clock of a test's own)
            self._arm(wait)
            return
        self._timer_task = asyncio.get_running_loop().create_task(self._send_held())

    async def _send_held(self) -> None:
        try:
            await self._send(self._clock())
        except Exception as error:  # (cancelled: the loop is closing, nobody is left to tell)
            self._timer_error = error
        finally:
            self._timer_task = None

    def _raise_timer_error(self) -> None:
        error, self._timer_error = self._timer_error, None
        if error is not None:
            raise error

    async def _send(self, now: float) -> None:
        async with self._lock:
            await self._send_locked(now)

    async def _send_locked(self, now: float) -> None:
        if not self._pieces or self._block is None:
            return
        index, block_type = self._block
        text = self._pieces[0] if len(self._pieces) == 1 else "".join(self._pieces)
        self._pieces = []
        self._last = now
        self.events += 1
        payload = {
            "provider": self._provider,
            "block_index": index,
            "block_type": block_type,
            "delta": text,
        }
        await self._emit("content_block:delta", payload)
        if block_type == "thinking":
            await self._emit("thinking:delta", dict(payload))
