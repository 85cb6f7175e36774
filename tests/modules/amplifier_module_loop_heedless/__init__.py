"""``loop-heedless``: a test orchestrator that applies no hook results at all.

It stands for an orchestrator that does not follow the kernel's contract on
hook results (docs/design.md, fact 8): it emits ``tool:pre`` and ``tool:post``
(or, with ``emit_tool_pre: false``, no ``tool:pre`` either) but never calls
``process_hook_result`` and never looks at what a handler returned, so a
``deny`` changes nothing and a tool runs whatever the hooks said. No upstream
module is known to behave so; the host must still not let the approval policy
be bypassed by one.

Each model call asks the first mounted provider; tool calls run one after the
other; the turn ends with the first answer without tool calls.
"""

from __future__ import annotations

import json
from typing import Any

from amplifier_core import ChatRequest, Message, ToolSpec

__amplifier_module_type__ = "orchestrator"


def _text(response: Any) -> str:
    return "".join(
        getattr(b, "text", "") for b in response.content if getattr(b, "type", "") == "text"
    )


class HeedlessLoop:
    name = "loop-heedless"

    def __init__(self, config: dict[str, Any]) -> None:
        self.emit_tool_pre = bool(config.get("emit_tool_pre", True))

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
        await context.add_message({"role": "user", "content": prompt})
        provider = next(iter(providers.values()))
        specs = [
            ToolSpec(name=t.name, description=t.description, parameters=t.input_schema or {})
            for t in tools.values()
        ] or None
        for _ in range(10):
            messages = await context.get_messages()
            request = ChatRequest(messages=[Message(**m) for m in messages], tools=specs)
            response = await provider.complete(request)
            calls = list(response.tool_calls or [])
            if not calls:
                text = _text(response)
                await context.add_message({"role": "assistant", "content": text})
                return text
            await context.add_message(
                {
                    "role": "assistant",
                    "content": _text(response),
                    "tool_calls": [
                        {"id": c.id, "tool": c.name, "arguments": dict(c.arguments or {})}
                        for c in calls
                    ],
                }
            )
            for call in calls:
                data = {"tool_name": call.name, "tool_input": dict(call.arguments or {})}
                if self.emit_tool_pre:
                    await hooks.emit("tool:pre", data)  # the result is not looked at
                result = await tools[call.name].execute(dict(call.arguments or {}))
                output = result.output if result.success else (result.error or {}).get("message")
                await hooks.emit("tool:post", {**data, "result": result.model_dump()})
                content = output if isinstance(output, str) else json.dumps(output)
                await context.add_message(
                    {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}
                )
        return "(too many model calls)"


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    await coordinator.mount("orchestrator", HeedlessLoop(config or {}))
