"""A notebook frontend as the kernel sees it through the bridge: it opens the
``amplifier_jupyter.bridge`` comm with real comm messages and answers the kernel's requests
(``{id, op, ...}`` on iopub) with ``{id, ok, result | error}`` comm messages, as
``labextension/src/bridge.ts`` does, over a list of cells of its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from kernel_harness import CellResult, Kernel
from widget_comms import PANEL_ID, Widgets, render

TARGET = "amplifier_jupyter.bridge"


def code(cell_id: str, source: str, count: int | None = None, outputs: Any = ()) -> dict[str, Any]:
    """A code cell as the frontend sends it."""
    return {
        "id": cell_id,
        "cell_type": "code",
        "source": source,
        "execution_count": count,
        "outputs": list(outputs),
    }


def markdown(cell_id: str, source: str) -> dict[str, Any]:
    """A Markdown cell as the frontend sends it."""
    return {"id": cell_id, "cell_type": "markdown", "source": source, "outputs": []}


@dataclass
class FakeFrontend:
    """One tab: its comm, its cells, the requests it carried out."""

    kernel: Kernel
    cells: list[dict[str, Any]] = field(default_factory=list)
    path: str = "analysis.ipynb"
    answers: bool = True
    comm_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    client_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    requests: list[dict[str, Any]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    # Called with each request before it is carried out (what the user does meanwhile).
    before: Callable[[dict[str, Any]], None] = lambda request: None

    def _send(self, msg_type: str, content: dict[str, Any]) -> None:
        self.kernel.client.shell_channel.send(self.kernel.client.session.msg(msg_type, content))

    def open(self) -> FakeFrontend:
        """Open the bridge (the kernel must have the extension loaded)."""
        data = {"path": self.path, "client_id": self.client_id}
        self._send("comm_open", {"comm_id": self.comm_id, "target_name": TARGET, "data": data})
        return self

    def focus(self) -> None:
        """The tab got the focus."""
        self._comm_msg({"event": "focus"})

    def close(self) -> None:
        """The tab went away."""
        self._send("comm_close", {"comm_id": self.comm_id, "data": {}})

    def _comm_msg(self, data: dict[str, Any]) -> None:
        self._send("comm_msg", {"comm_id": self.comm_id, "data": data})

    def see(self, msg: dict[str, Any]) -> None:
        """Take one iopub message; answer it if it is a request to this tab."""
        content = msg["content"]
        if msg["msg_type"] != "comm_msg" or content.get("comm_id") != self.comm_id:
            return
        data = content.get("data") or {}
        if "op" not in data:
            self.events.append(data)
            return
        self.requests.append(data)
        if not self.answers:
            return
        self.before(data)
        try:
            reply = {"id": data["id"], "ok": True, "result": self._apply(data)}
        except _Refused as refusal:
            reply = {"id": data["id"], "ok": False, "error": refusal.error}
        self._comm_msg(reply)

    def _apply(self, request: dict[str, Any]) -> Any:
        op = request["op"]
        if op == "read":
            return {
                "path": self.path,
                "client_id": self.client_id,
                "cells": self.cells,
                "active_cell_id": self.cells[-1]["id"] if self.cells else None,
            }
        if op == "insert":
            ids = [c["id"] for c in self.cells]
            at = ids.index(request["after"]) + 1 if request.get("after") in ids else len(ids)
            if "index" in request:
                at = int(request["index"])
            cell = {
                "id": uuid.uuid4().hex[:8],
                "cell_type": request["cell_type"],
                "source": request["source"],
                "execution_count": None,
                "outputs": [],
            }
            self.cells.insert(at, cell)
            return {"id": cell["id"], "index": at}
        if op == "replace":
            cell = self._cell(request["cell_id"])
            if cell["source"] != request["expected"]:
                raise _Refused(
                    {"code": "changed", "message": "the cell changed", "current": cell["source"]}
                )
            cell["source"] = request["source"]
            return {"id": cell["id"]}
        if op == "run":
            self._cell(request["cell_id"])
            self.queued.append(request["cell_id"])
            return "queued"
        raise _Refused({"code": "unknown-op", "message": f"unknown op {op!r}"})

    def _cell(self, cell_id: str) -> dict[str, Any]:
        for cell in self.cells:
            if cell["id"] == cell_id:
                return cell
        raise _Refused({"code": "no-cell", "message": f"no cell with id {cell_id}"})


class _Refused(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        self.error = error


def run(
    kernel: Kernel,
    code_text: str,
    *tabs: FakeFrontend,
    cell_id: str | None = None,
    widgets: Widgets | None = None,
) -> CellResult:
    """Run a cell (as the notebook cell ``cell_id``) while these tabs answer the kernel;
    ``widgets`` sees the panels (drawn, as a frontend reports them)."""

    def seen(msg: dict[str, Any]) -> None:
        for tab in tabs:
            tab.see(msg)
        if widgets is not None:
            widgets.feed(msg)
            state = (msg["content"].get("data") or {}).get("state") or {}
            if msg["msg_type"] == "comm_open" and state.get("_anywidget_id") == PANEL_ID:
                render(kernel, msg["content"]["comm_id"])

    return kernel.execute(code_text, on_message=seen, every_message=True, cell_id=cell_id)


@pytest.fixture
def tabs(kernel: Kernel) -> Iterator[list[FakeFrontend]]:
    """Tabs a test opens; closed after it, so the next test starts with none."""
    opened: list[FakeFrontend] = []
    yield opened
    for tab in opened:
        tab.close()
    result = kernel.execute("import amplifier_jupyter.bridge as _b; print(_b.connected())")
    assert result.stdout.strip() == "False", result.stdout
