"""``loop-notebook``: the agent loop used by amplifier-jupyter, an ordinary orchestrator.

It stands in for Amplifier's ``loop-basic`` and behaves as it does (pinned by
tests/test_loop_conformance.py, against tests/upstream_like's ``loop-basic-like``):

* ``prompt:submit`` ``{prompt}``: a ``deny`` ends the turn with ``"Operation
  denied: <reason>"``. Every hook result goes through
  ``coordinator.process_hook_result`` (which asks a hook's ``ask_user`` and
  stores a non-ephemeral ``inject_context``).
* Each model call: ``provider:request`` ``{provider, iteration}`` (0 first); an
  ephemeral ``inject_context`` goes into that request only, never into the
  context (appended to the last tool result when ``append_to_last_tool_result``
  asks). ``provider.complete(request)`` gets ``extended_thinking=True`` when
  this loop's config says so, and the request the config's ``reasoning_effort``.
  Then ``provider:response`` ``{provider, usage, tool_calls}`` (``tool_calls``
  a bool), and ``content_block:start`` / ``content_block:end`` per block of the
  response's ``content_blocks`` (which upstream providers set; the built-in
  providers set none and emit their own ``content_block:*`` events while they
  stream, so none is doubled). A failed call: ``provider:error``
  ``{provider, error: {type, msg}}`` (with ``retryable``, ``status_code`` for an
  ``LLMError``, and the ``request_id`` of the call's ``llm:request``, which
  amplifier-core keeps in the calling task's context), and the turn raises.
* The tool calls of one response share one ``parallel_group_id``:
  ``tool:pre`` ``{tool_name, tool_input, parallel_group_id}`` (a ``deny`` skips
  the call and the model reads ``"Denied by hook: <reason>"``), ``tool:post``
  ``{tool_name, tool_input, result, parallel_group_id}``: when a hook's
  ``modify`` replaces ``result``, that is what the model reads (JSON for a dict
  or a list); an ephemeral ``inject_context`` there goes into the next request
  only. ``tool:error`` when a call fails.
* ``prompt:complete`` ``{response_preview, length}``, then
  ``orchestrator:complete`` ``{orchestrator, turn_count, status}``: status
  ``success`` (the model answered with text), ``incomplete`` (it did not: an
  empty answer, the iteration bound, a deny) or ``cancelled``; ``turn_count``
  counts the rounds of tool calls, as loop-basic's does.
* On a stop: ``cancel:requested`` ``{orchestrator, state, turn_count}``, the
  token's callbacks (``trigger_callbacks``), ``cancel:completed``
  ``{orchestrator, was_immediate, turn_count}``.

What it does differently, on purpose:

* Stop takes effect at once: it awaits every model and tool call through
  ``amplifier_jupyter/modules/_cancellation.py`` (the call is given up at once),
  and looks at the token before each model call and each tool call, where
  loop-basic looks only between model calls (docs/design.md, fact 23).
* A stopped or failed turn is closed: every tool call gets a result and an
  assistant note ends the turn, or, when the model had not answered yet, the
  turn is rolled back, so the next request is well formed.
* It always ends a turn with ``orchestrator:complete`` and ``execution:end``
  (``{response, status}``) and begins it with ``execution:start``
  (``{prompt, orchestrator}``): after a deny too (status ``incomplete``), and
  after a failure (status ``error``, loop-streaming's word), where loop-basic
  emits nothing more.
* The tool calls of a response run one after the other: a notebook user
  approves one at a time. It says how a hook's ``ask_user`` was decided
  (``approval:granted`` / ``approval:denied`` with ``source: "hook"``): the
  kernel emits nothing for it (fact 8).
* ``usage`` and ``tool:post``'s ``result`` are dicts (loop-basic sends the
  objects, which reach hooks as their ``str()``); a call without input runs
  (loop-basic fails the turn); more keys: ``model`` in ``provider:request``,
  ``model``, ``latency_ms``, ``finish_reason`` in ``provider:response``,
  ``tool_call_id`` in the ``tool:*`` events; a tool result message keeps the
  tool's ``name``; an unknown tool is a ``tool:error`` without ``tool:pre``.
* At most ``max_iterations`` model calls a turn (default 25; loop-basic's
  default is unbounded), then a note asks to run the cell again.
* A cell's ``--model`` reaches the request through the ``notebook.request_overrides``
  capability, and the context budgets for that model's limits.

It knows no approval policy: that is the hook module ``hooks-notebook-approval``,
which the notebook host installs on every session, as for any other loop.

Config: ``max_iterations`` (default 25 model calls per turn),
``default_provider`` (mount name; else the lowest ``priority``, as loop-basic
picks), ``extended_thinking``, ``reasoning_effort``.
"""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.modules.loop_notebook._loop import NotebookLoop

__amplifier_module_type__ = "orchestrator"
__all__ = ["NotebookLoop", "mount"]


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount the loop at the ``orchestrator`` mount point."""
    await coordinator.mount("orchestrator", NotebookLoop(config or {}))
