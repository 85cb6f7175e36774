"""Each model call counted once, from whichever contract events report it.

amplifier-core's provider contract has providers emit ``llm:response`` with
usage; loops emit ``provider:response`` (loop-basic, loop-notebook: usage as a
dict or a model), and some carry usage only on ``content_block:end``
(loop-streaming: docs/design.md, fact 23). A call may be reported by one, two
or all three. :class:`ModelCalls` takes one session's events in order and
says which one is a call's first report:

* ``provider:request`` opens a call;
* ``llm:response`` reports one (and is remembered, so that the loop's
  ``provider:response`` for that same call, which follows it, is not counted
  again);
* ``provider:response`` reports one unless an ``llm:response`` already did
  since the call opened;
* ``content_block:end`` with usage reports the open call only when nothing
  else has (its blocks share one usage: only the first counts).

A provider called outside the loop (a context manager summarizing) emits
``llm:response`` alone and is counted as the call it is.
"""

from __future__ import annotations

from typing import Any

from amplifier_core.events import (
    CONTENT_BLOCK_END,
    LLM_RESPONSE,
    PROVIDER_REQUEST,
    PROVIDER_RESPONSE,
)

from amplifier_jupyter.events.usage import Usage, read_usage

# The events that open or report a model call.
EVENTS = frozenset({PROVIDER_REQUEST, LLM_RESPONSE, PROVIDER_RESPONSE, CONTENT_BLOCK_END})


class ModelCalls:
    """One session's model calls, each reported once (see the module docstring)."""

    def __init__(self) -> None:
        self._open = False  # a provider:request not yet reported
        self._llm_unpaired = 0  # llm:response reports whose provider:response may follow

    def first_report(self, event: str, data: dict[str, Any]) -> Usage | None:
        """The call's usage when ``event`` is the first report of a call, else None.

        A call reported without readable usage counts with zero tokens.
        """
        if event == PROVIDER_REQUEST:
            self._open = True
            self._llm_unpaired = 0
            return None
        if event == LLM_RESPONSE:
            self._open = False
            self._llm_unpaired += 1
            return self._usage(data)
        if event == PROVIDER_RESPONSE:
            self._open = False
            if self._llm_unpaired:
                self._llm_unpaired -= 1
                return None
            return self._usage(data)
        if event == CONTENT_BLOCK_END and self._open and data.get("usage") is not None:
            usage = read_usage(data.get("usage"))
            if usage is not None:
                self._open = False
            return usage
        return None

    @staticmethod
    def _usage(data: dict[str, Any]) -> Usage:
        return read_usage(data.get("usage"), data.get("cost_usd")) or Usage()
