"""A test's server in a subprocess: wait until it answers, stop it, read its log."""

from __future__ import annotations

import http.client
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def log_tail(path: Path) -> str:
    """The end of a server's log (for failure messages)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-4000:]
    except OSError:
        return ""


def wait_answering(
    process: subprocess.Popen[bytes],
    request: urllib.request.Request | str,
    name: str,
    log: Path,
    timeout: float,
) -> None:
    """Wait until ``request`` gets an answer; fail with the log if ``process`` exits or
    ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        # A server still starting may answer with a half-written status line.
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            time.sleep(0.1)  # polling for readiness, not an assertion
    raise RuntimeError(f"{name} did not answer within {timeout:.0f} s:\n{log_tail(log)}")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate a server (and with it its kernels), killing it after 10 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
