"""Driving a real IPython kernel in tests: execute cells, collect what comes back."""

from __future__ import annotations

import json
import os
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager


@dataclass
class CellResult:
    """The iopub messages of one execution, with easy views of them."""

    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)

    def _by_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] == kind]

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"]
            for m in self._by_type("stream")
            if m["content"]["name"] == "stdout"
        )

    @property
    def stderr(self) -> str:
        return "".join(
            m["content"]["text"]
            for m in self._by_type("stream")
            if m["content"]["name"] == "stderr"
        )

    @property
    def markdown(self) -> list[str]:
        """Every ``text/markdown`` output, in order."""
        found = []
        for m in self.messages:
            if m["msg_type"] in ("display_data", "execute_result"):
                data = m["content"]["data"]
                if "text/markdown" in data:
                    found.append(data["text/markdown"])
        return found

    @property
    def error(self) -> dict[str, Any] | None:
        errors = self._by_type("error")
        return errors[0]["content"] if errors else None

    @property
    def ok(self) -> bool:
        return self.reply["content"]["status"] == "ok"


def offline_env(**extra: str) -> dict[str, str]:
    """An environment for kernels with no real API key anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(extra)
    return env


def fake_api_env(url: str) -> dict[str, str]:
    """The anthropic SDK's own variables, pointing it (in a kernel or a Lab server) at a fake."""
    return {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "test-key"}


class Kernel:
    """A real ipykernel, started with this interpreter, for one test (or module)."""

    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        """``env`` is the kernel's whole environment (e.g. ``offline_env()``), not additions:
        merged into ``os.environ`` it would bring back the API key ``offline_env`` removed."""
        self.manager = KernelManager(kernel_name="python3")
        kernel_env = dict(os.environ if env is None else env)
        kernel_env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        self.manager.kernel_cmd = None
        self._env = kernel_env
        self._cwd = cwd
        self.client = None

    def start(self, **launch: Any) -> Kernel:
        """Start it with this interpreter; ``launch`` goes to ``start_kernel`` (e.g. ``stderr``)."""
        self.manager.kernel_spec.argv = [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ]
        self.manager.start_kernel(env=self._env, cwd=self._cwd, **launch)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        return self

    def execute(
        self,
        code: str,
        timeout: float = 60,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        every_message: bool = False,
        cell_id: str | None = None,
        allow_stdin: bool = False,
    ) -> CellResult:
        """Run one cell; return its reply and every iopub message it caused.

        ``on_message`` sees the cell's own iopub messages as they arrive; with
        ``every_message`` it sees every iopub message, whatever cell caused it
        (a background run's widgets keep the parent of the cell that started it).
        ``cell_id``: sent as a notebook frontend sends it, in the request's
        ``metadata.cellId``, with ``allow_stdin`` (JupyterLab sends true; false by default).
        """
        msg_id = (
            self.client.execute(code)
            if cell_id is None
            else self._in_cell(code, cell_id, allow_stdin)
        )
        result = CellResult(reply={})
        deadline = time.monotonic() + timeout
        idle = False
        while not idle:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell did not finish in {timeout}s: {code[:80]!r}")
            try:
                msg = self.client.get_iopub_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            ours = msg["parent_header"].get("msg_id") == msg_id
            if on_message is not None and (ours or every_message):
                on_message(msg)
            if not ours:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            else:
                result.messages.append(msg)
        while True:  # skip replies to other requests (e.g. comm messages a test sent)
            remaining = deadline - time.monotonic()
            try:
                reply = self.client.get_shell_msg(timeout=max(remaining, 1.0))
            except queue.Empty:
                raise TimeoutError(
                    f"the cell went idle but its reply did not come in {timeout}s: {code[:80]!r}"
                ) from None
            if reply["parent_header"].get("msg_id") == msg_id:
                result.reply = reply
                return result

    def _in_cell(self, code: str, cell_id: str, allow_stdin: bool = False) -> str:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": allow_stdin,
            "stop_on_error": True,
        }
        message = self.client.session.msg("execute_request", content, metadata={"cellId": cell_id})
        self.client.shell_channel.send(message)
        return message["header"]["msg_id"]

    def shutdown(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)

    def __enter__(self) -> Kernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def ok(kernel: Kernel, code: str) -> CellResult:
    """Run a cell that must succeed with no traceback on its stderr."""
    result = kernel.execute(code)
    assert result.ok, result.error
    assert "Traceback" not in result.stderr, result.stderr
    return result


def scripted_plan_json(*replies: object) -> str:
    """A plan literal for ``%amplifier config``: the built-in loop and context, and the
    scripted provider giving these replies (no tools)."""
    return json.dumps(
        {
            "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
            "providers": [{"module": "provider-scripted", "config": {"script": list(replies)}}],
        }
    )
