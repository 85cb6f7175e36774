"""One tool call of the loop: ``tool:pre``, the call, ``tool:post``, what the model reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amplifier_core.events import TOOL_ERROR, TOOL_POST, TOOL_PRE

from amplifier_jupyter.modules._cancellation import is_cancelled, until_cancelled
from amplifier_jupyter.modules.loop_notebook._hooks import HookCalls
from amplifier_jupyter.modules.loop_notebook._messages import Injection, dump, tool_answer


class Cancelled(Exception):
    """The user asked to stop; raised at a safe point inside the loop."""


@dataclass(frozen=True)
class ToolAnswer:
    """What one call gives back: the text the model reads, and a ``tool:post`` hook's
    ephemeral injection for the next request."""

    text: str
    injection: Injection | None = None


async def run_tool(call: Any, tools: dict[str, Any], hooks: HookCalls, group: str) -> ToolAnswer:
    """Run and report one tool call; never raises but :class:`Cancelled`.

    ``tool:pre`` hooks may deny it (the approval policy is one,
    ``hooks-notebook-approval``). ``group`` is the ``parallel_group_id`` of the
    response's calls. Every payload also carries ``tool_call_id``.
    """
    coordinator = hooks.coordinator
    name, args = call.name, dict(call.arguments or {})
    base = {
        "tool_name": name,
        "tool_call_id": call.id,
        "tool_input": args,
        "parallel_group_id": group,
    }
    tool = tools.get(name)
    if tool is None:
        error = f"Error: no tool named '{name}' is mounted"
        await hooks.emit(TOOL_ERROR, {**base, "error": {"type": "NotFound", "msg": error}})
        return ToolAnswer(error)

    pre = await hooks.applied(TOOL_PRE, dict(base), name)
    if is_cancelled(coordinator):  # e.g. Stop while a hook's question waited
        raise Cancelled()
    if pre.action == "deny":
        return ToolAnswer(f"Denied by hook: {pre.reason or 'a hook refused this call'}")
    if coordinator is not None:
        coordinator.cancellation.register_tool_start(call.id, name)
    try:
        outcome = await until_cancelled(tool.execute(args), coordinator, Cancelled)
    except Cancelled:
        raise
    except Exception as error:
        if is_cancelled(coordinator):
            raise Cancelled() from None
        await hooks.emit(
            TOOL_ERROR, {**base, "error": {"type": type(error).__name__, "msg": str(error)}}
        )
        return ToolAnswer(f"Error: {type(error).__name__}: {error}")
    finally:
        if coordinator is not None:
            coordinator.cancellation.register_tool_complete(call.id)
    sent = dump(outcome)
    post, _ = await hooks.emitted(TOOL_POST, {**base, "result": sent}, name)
    return ToolAnswer(tool_answer(outcome, sent, post), Injection.of(post))
