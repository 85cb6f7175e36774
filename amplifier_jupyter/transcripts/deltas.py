"""Streamed deltas in a transcript: one line per stream, not one per token.

A streamed answer is an event per token (``content_block:delta``, and
``thinking:delta`` beside it for thinking; any event whose name ends in
``:delta`` is taken as one): written one a line, a 10,000-word answer made
``events.jsonl`` megabytes of near-identical lines. Instead the writer holds a
stream's deltas back and writes them as one line, the stream's, just before the
next event of any other kind (normally the block's ``content_block:end``)::

    {"ts": <the first delta's>, "event": "content_block:delta",
     "data": {<the first delta's data, "delta" left out>},
     "deltas": {"count": 2417, "chars": 61234, "last_ts": <the last delta's>}}

A stream is the deltas of one event name, provider and ``block_index``. When the
block's ``content_block:end`` follows (same provider and index), its ``block``
carries the text, so the line has none; a stream cut off without its end (a stop,
an error, a provider that sends no ends) keeps what came, as ``data["delta"]``: the
pieces joined (a list of them when any is not a string). A kernel killed while a
block streams loses that block's deltas (its answer was never finished either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DELTA_SUFFIX = ":delta"
BLOCK_END = "content_block:end"


def is_delta(event: str) -> bool:
    """Whether ``event`` is a per-token event, coalesced rather than written a line each."""
    return event.endswith(DELTA_SUFFIX)


@dataclass
class _Stream:
    event: str
    ts: str
    data: dict[str, Any]
    last_ts: str
    pieces: list[Any] = field(default_factory=list)


def _block(data: dict[str, Any]) -> tuple[Any, Any]:
    return data.get("provider"), data.get("block_index")


class Deltas:
    """The deltas held back, by stream, until the next event of another kind."""

    def __init__(self) -> None:
        self._streams: dict[tuple[str, Any, Any], _Stream] = {}

    def add(self, event: str, data: dict[str, Any], ts: str) -> None:
        """Hold one delta back."""
        key = (event, *_block(data))
        stream = self._streams.get(key)
        if stream is None:
            first = {k: v for k, v in data.items() if k != "delta"}
            stream = self._streams[key] = _Stream(event, ts, first, ts)
        stream.pieces.append(data.get("delta", ""))
        stream.last_ts = ts

    def flush(self, event: str | None = None, data: dict[str, Any] | None = None) -> list[Any]:
        """The held-back streams as records (``ts``, ``event``, ``data``, ``deltas``), oldest
        first, and forget them; ``event``/``data``: the event that comes next (a block's end
        means its streams' text is in it)."""
        if not self._streams:
            return []
        ended = _block(data or {}) if event == BLOCK_END else None
        records = []
        for (_, *block), stream in self._streams.items():
            texts = all(isinstance(p, str) for p in stream.pieces)
            chars = sum(len(p) for p in stream.pieces) if texts else None
            record_data = dict(stream.data)
            if tuple(block) != ended:
                record_data["delta"] = "".join(stream.pieces) if texts else list(stream.pieces)
            summary = {"count": len(stream.pieces), "chars": chars, "last_ts": stream.last_ts}
            records.append(
                {"ts": stream.ts, "event": stream.event, "data": record_data, "deltas": summary}
            )
        self._streams.clear()
        return records
