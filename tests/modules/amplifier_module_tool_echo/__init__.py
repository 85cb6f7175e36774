"""Tools for the panel tests, mounted from this folder (a local directory source).

``echo`` returns its text (and asks for approval: it is not read-only);
``nap`` awaits for ``seconds`` (a tool call to stop in the middle of);
``block`` sleeps synchronously inside ``user_code_interruptible``, like user
code run by a python tool, so the kernel's interrupt must reach it as
``KeyboardInterrupt``. Every call is recorded in ``CALLS``. Config
``mount_delay`` (seconds) makes the session start slowly.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from amplifier_core import ToolResult

from amplifier_jupyter._ipython.interrupts import user_code_interruptible

CALLS: list[tuple[str, dict[str, Any]]] = []


class Echo:
    name = "echo"
    description = "Returns the text it is given."
    input_schema = {"type": "object", "properties": {"text": {"type": "string"}}}

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        CALLS.append((self.name, dict(input)))
        return ToolResult(success=True, output=f"echo: {input.get('text', '')}")


class Nap:
    name = "nap"
    description = "Waits a number of seconds."
    input_schema = {"type": "object", "properties": {"seconds": {"type": "number"}}}

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        CALLS.append((self.name, dict(input)))
        await asyncio.sleep(float(input.get("seconds", 30)))
        return ToolResult(success=True, output="rested")


class Block:
    name = "block"
    description = "Sleeps synchronously, as user code would."
    input_schema = {"type": "object", "properties": {"seconds": {"type": "number"}}}

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        CALLS.append((self.name, dict(input)))
        try:
            with user_code_interruptible():
                print("blocking", flush=True)  # the test interrupts once it sees this
                time.sleep(float(input.get("seconds", 30)))
        except KeyboardInterrupt:
            return ToolResult(success=False, error={"message": "KeyboardInterrupt"})
        return ToolResult(success=True, output="slept")


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    # ``mount_delay``: a slow start, so a test can act while the session starts.
    await asyncio.sleep(float((config or {}).get("mount_delay", 0)))
    for tool in (Echo(), Nap(), Block()):
        await coordinator.mount("tools", tool, name=tool.name)
