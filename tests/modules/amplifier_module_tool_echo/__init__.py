"""Tools for the panel tests, mounted from this folder (a local directory source).

``echo`` returns its text (and asks for approval: it is not read-only);
``nap`` awaits for ``seconds`` (a tool call to stop in the middle of);
``block`` sleeps synchronously inside ``user_code_interruptible``, like user
code run by a python tool, so the kernel's interrupt must reach it as
``KeyboardInterrupt``. Every call is recorded in ``CALLS``. Config
``mount_gated: true`` makes the session start wait until the test calls
:func:`open_mount_gate` (in the kernel), so a test can act while it starts
however slow the machine; :func:`mount_waiting` says when it is waiting.
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


_GATE: dict[str, asyncio.Event] = {}


def _gate(name: str) -> asyncio.Event:
    if name not in _GATE:
        _GATE[name] = asyncio.Event()
    return _GATE[name]


def mount_waiting() -> bool:
    """Whether a gated mount is waiting now (the session is starting)."""
    return _gate("waiting").is_set() and not _gate("open").is_set()


def open_mount_gate() -> None:
    """Let a gated mount go on."""
    _gate("open").set()


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    if (config or {}).get("mount_gated"):
        _gate("waiting").set()
        try:
            await _gate("open").wait()
        finally:
            _GATE.clear()  # the next gated mount waits again
    for tool in (Echo(), Nap(), Block()):
        await coordinator.mount("tools", tool, name=tool.name)
