"""The kernel's status as JupyterLab reads it stays busy for a whole cell, also when the
frontend creates a subshell during the cell (as JupyterLab does on a kernel's first widget,
the first ``%%amplifier`` panel: docs/design.md, fact 17)."""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Any

import pytest
from kernel_harness import Kernel, offline_env
from waiting import DEADLINE

# What JupyterLab 4.6 leaves out of the kernel's status (jupyter_server's defaults, handed
# to the page as untracked_message_types).
UNTRACKED = {
    "comm_info_request",
    "kernel_info_request",
    "shutdown_request",
    "interrupt_request",
    "debug_request",
}
WAITING_CELL = (
    "import asyncio\nprint('RUNNING', flush=True)\nawait asyncio.sleep({seconds})\nprint('END')"
)


def lab_status(messages: list[dict[str, Any]]) -> list[str]:
    """The kernel status JupyterLab shows after each message, as its KernelConnection sets it."""
    shown = []
    for msg in messages:
        if msg["msg_type"] != "status":
            continue
        if msg["parent_header"].get("msg_type") in UNTRACKED:
            continue
        shown.append(msg["content"]["execution_state"])
    return shown


def run_with_requests(kernel: Kernel, requests: list[str], seconds: float = 3) -> list[dict]:
    """Run an awaiting cell, send ``requests`` on the control channel once it runs, and
    return every iopub message until the cell's idle."""
    client = kernel.client
    cell = client.execute(WAITING_CELL.format(seconds=seconds))
    messages: list[dict[str, Any]] = []
    sent = False
    deadline = time.monotonic() + DEADLINE
    while True:
        assert time.monotonic() < deadline, "the cell never ended"
        try:
            msg = client.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        messages.append(msg)
        ours = msg["parent_header"].get("msg_id") == cell
        running = msg["msg_type"] == "stream" and "RUNNING" in msg["content"]["text"]
        if ours and running and not sent:
            for request in requests:
                client.control_channel.send(client.session.msg(request, {}))
            sent = True
        if ours and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


@pytest.fixture
def kernel(tmp_path: Path):
    with Kernel(env=offline_env(), cwd=str(tmp_path)) as kernel:
        yield kernel


def test_a_subshell_created_during_a_cell_leaves_the_kernel_busy(kernel: Kernel) -> None:
    assert kernel.execute("%load_ext amplifier_jupyter").ok
    messages = run_with_requests(kernel, ["create_subshell_request"])
    requests = [
        m for m in messages if m["parent_header"].get("msg_type") == "create_subshell_request"
    ]
    assert [m["content"]["execution_state"] for m in requests] == ["busy", "idle"]
    shown = lab_status(messages)
    # Busy again right after the request's idle (a blink), until the cell's own idle.
    assert shown == ["busy", "busy", "idle", "busy", "idle"], shown
    # The busy sent again names the cell's request, as ipykernel's own does.
    cell_id = messages[-1]["parent_header"]["msg_id"]
    last_busy = [m for m in messages if m["msg_type"] == "status"][-2]
    assert last_busy["parent_header"]["msg_id"] == cell_id


def test_every_subshell_request_during_a_cell(kernel: Kernel) -> None:
    assert kernel.execute("%load_ext amplifier_jupyter").ok
    messages = run_with_requests(
        kernel, ["create_subshell_request", "list_subshell_request", "create_subshell_request"]
    )
    shown = lab_status(messages)
    assert shown[-2:] == ["busy", "idle"], shown
    # Each request's idle is followed by a busy again.
    assert all(shown[i + 1] == "busy" for i in range(len(shown) - 1) if shown[i] == "idle"), shown


def test_no_busy_is_sent_while_no_cell_runs(kernel: Kernel) -> None:
    """A subshell created between cells: the kernel's status ends idle."""
    assert kernel.execute("%load_ext amplifier_jupyter").ok
    client = kernel.client
    request = client.session.msg("create_subshell_request", {})
    client.control_channel.send(request)
    reply = client.get_control_msg(timeout=DEADLINE)
    assert reply["content"]["subshell_id"]
    statuses = []
    deadline = time.monotonic() + DEADLINE
    while len(statuses) < 2:
        assert time.monotonic() < deadline, statuses
        msg = client.get_iopub_msg(timeout=DEADLINE)
        if msg["msg_type"] == "status":
            statuses.append(msg)
    # Then a cell: no status but the cell's own comes after the request's idle.
    stray: list[dict[str, Any]] = []
    after = kernel.execute(
        "pass",
        on_message=lambda m: m["msg_type"] == "status" and stray.append(m),
        every_message=True,
    )
    assert after.ok
    assert [s["content"]["execution_state"] for s in statuses] == ["busy", "idle"]
    assert all(s["parent_header"]["msg_id"] == request["header"]["msg_id"] for s in statuses)
    cell = after.reply["parent_header"]["msg_id"]
    assert [m for m in stray if m["parent_header"].get("msg_id") != cell] == []
