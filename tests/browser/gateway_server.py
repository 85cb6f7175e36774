"""Jupyter Kernel Gateway on 127.0.0.1, so a browser test's kernels run behind it.

A Lab server started with :meth:`KernelGateway.lab_args` (``--gateway-url`` and the
gateway's token) keeps its files and pages but starts, talks to and interrupts
every kernel through the gateway's REST and websocket API, as with kernels on
another machine. The gateway runs in a folder of its own (``work``): its kernels'
working directory, where their ``.amplifier/`` transcripts land.

A gateway's kernel does not inherit the server's environment: it gets ``PATH``,
the gateway's own variables named in ``KG_ENV_PROCESS_WHITELIST``, and those the
Lab server sends with the start request: ``KERNEL_*`` and the names both sides
allow (``GatewayClient.allowed_envs``, ``KG_ENV_WHITELIST``): here the Anthropic
SDK's own two, so a test's fake API reaches the kernel as a key would.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

from lab_server import free_port
from server_process import log_tail, stop_process, wait_answering

# What the Lab server forwards to a kernel it starts (and the gateway accepts).
KERNEL_ENV = ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY")
# What a kernel takes from the gateway's own environment, besides PATH.
GATEWAY_ENV = ("HOME", "LANG", "PYDEVD_DISABLE_FILE_VALIDATION")


class KernelGateway:
    """``jupyter kernelgateway`` in a subprocess, with a random port and token."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.work = home / "work"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = home / "kernel-gateway.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_args(self) -> tuple[str, ...]:
        """The Lab (or Notebook) server's options that put its kernels behind this gateway."""
        return (
            f"--gateway-url={self.url}",
            f"--GatewayClient.auth_token={self.token}",
            f"--GatewayClient.allowed_envs={','.join(KERNEL_ENV)}",
        )

    def kernel_ids(self) -> list[str]:
        """The ids of the kernels the gateway runs (its ``/api/kernels``)."""
        with urllib.request.urlopen(self._request("/api/kernels"), timeout=10) as response:
            return [kernel["id"] for kernel in json.load(response)]

    def _request(self, path: str) -> urllib.request.Request:
        return urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )

    def start(self, timeout: float = 60.0) -> KernelGateway:
        """Start the gateway and wait until its API answers."""
        self.work.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
        env.update(
            JUPYTER_CONFIG_DIR=str(self.home / "config"),
            JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            KG_ENV_PROCESS_WHITELIST=",".join(GATEWAY_ENV),
            KG_ENV_WHITELIST=",".join(KERNEL_ENV),
        )
        command = [
            sys.executable,
            "-m",
            "jupyter",
            "kernelgateway",
            "--KernelGatewayApp.ip=127.0.0.1",
            f"--KernelGatewayApp.port={self.port}",
            "--KernelGatewayApp.port_retries=0",
            f"--KernelGatewayApp.auth_token={self.token}",
            # The Lab server lists the kernels (its /api/status, the running-kernels panel).
            "--JupyterWebsocketPersonality.list_kernels=True",
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, cwd=self.work, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self._process is not None
        request = self._request("/api/kernelspecs")
        wait_answering(self._process, request, "the kernel gateway", self.log_path, timeout)

    def stop(self) -> None:
        """Stop the gateway (and with it its kernels)."""
        stop_process(self._process)

    def log(self) -> str:
        """The end of the gateway's log (for failure messages)."""
        return log_tail(self.log_path)
