"""``tool-bash-like``: a test tool that behaves as Amplifier's own ``tool-bash``.

Read from ``microsoft/amplifier-module-tool-bash`` (``__init__.py`` at commit
d8cc410, read 2026-12-01) and measured with it in a kernel (docs/design.md, fact 23,
issue 13: under ``approve deny`` the file it touched was created, since the
tool asks nobody itself):

* a tool named ``bash`` with input ``{command, timeout?}``; the command runs in
  ``/bin/bash`` in its own process group, in ``working_dir`` (config, else the
  ``session.working_dir`` capability, else ``.``), for at most ``timeout``
  seconds (default 30; on expiry the group is killed and the call fails);
* the answer is ``ToolResult(success=returncode == 0, output={"stdout",
  "stderr", "returncode"})``, a dict (a loop-basic model then reads its Python
  repr: see loop-basic-like);
* it declares ``require_approval`` (config, default True) and
  ``get_metadata()`` with ``requires_approval``, but never ``read_only``:
  approval is left to a ``tool:pre`` hook (hooks-approval), and the tool runs
  whatever reaches ``execute()``.

Not modelled: the safety profiles that refuse destructive commands,
``run_in_background``, output truncation, ``max_concurrent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

from amplifier_core import ToolResult

__amplifier_module_type__ = "tool"
__all__ = ["BashLikeTool", "mount"]

DEFAULT_TIMEOUT = 30


def _failed(message: str) -> ToolResult:
    return ToolResult(success=False, output=message, error={"message": message})


class BashLikeTool:
    """``bash``: one shell command, its output and exit code."""

    name = "bash"
    description = (
        "Runs a shell command with bash and returns its stdout, stderr and exit code. "
        "Commands stop after `timeout` seconds (default 30)."
    )

    def __init__(self, config: dict[str, Any]) -> None:
        self.require_approval = bool(config.get("require_approval", True))
        self.timeout = float(config.get("timeout", DEFAULT_TIMEOUT))
        self.working_dir = str(config.get("working_dir") or ".")

    @property
    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The command to run."},
                "timeout": {"type": "integer", "description": "Seconds before it is stopped."},
            },
            "required": ["command"],
        }

    def get_metadata(self) -> dict[str, Any]:
        """What upstream tells an approval system (a risk hint, no read-only flag)."""
        return {
            "requires_approval": self.require_approval,
            "approval_hints": {"risk_level": "high"},
        }

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        command = input.get("command")
        if not command:
            return _failed("Command is required")
        timeout = float(input.get("timeout") or self.timeout)
        process = await asyncio.create_subprocess_exec(
            "/bin/bash",
            "-c",
            command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.working_dir,
            start_new_session=True,
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            return _failed(f"Command timed out after {timeout:g} seconds")
        return ToolResult(
            success=process.returncode == 0,
            output={
                "stdout": stdout.decode("utf-8", errors="replace"),
                "stderr": stderr.decode("utf-8", errors="replace"),
                "returncode": process.returncode,
            },
        )


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount ``bash``; ``working_dir`` defaults to the ``session.working_dir`` capability."""
    config = dict(config or {})
    config["working_dir"] = config.get("working_dir") or coordinator.get_capability(
        "session.working_dir"
    )
    tool = BashLikeTool(config)
    await coordinator.mount("tools", tool, name=tool.name)
