"""Widgets seen from the wire: models from iopub comm messages, clicks sent as comm messages.

This is what a frontend does: it learns each widget's state from ``comm_open``
and ``comm_msg`` updates on iopub, and a button click is a ``comm_msg``
``{"method": "custom", "content": {"event": "click"}}`` on the shell channel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel_harness import CellResult, Kernel

WIDGET_TARGET = "jupyter.widget"


@dataclass
class Update:
    """One state update of one widget, as it arrived."""

    comm_id: str
    state: dict[str, Any]
    date: Any


@dataclass
class Widgets:
    """Every widget model seen on iopub, with its latest state and its updates."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)

    def feed(self, msg: dict[str, Any]) -> None:
        """Take one iopub message (anything that is not a widget comm is ignored)."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open" and content.get("target_name") == WIDGET_TARGET:
            self.states[content["comm_id"]] = dict(content["data"].get("state", {}))
        elif kind == "comm_msg" and content["comm_id"] in self.states:
            data = content.get("data", {})
            if data.get("method") == "update":
                self.states[content["comm_id"]].update(data["state"])
                self.updates.append(
                    Update(content["comm_id"], data["state"], msg["header"].get("date"))
                )

    def find(self, **match: Any) -> list[str]:
        """Ids of the widgets whose state has all of ``match`` (e.g. description="Deny")."""
        return [
            comm_id
            for comm_id, state in self.states.items()
            if all(state.get(key) == value for key, value in match.items())
        ]

    def with_class(self, css_class: str) -> list[str]:
        """Ids of the widgets carrying a CSS class (``_dom_classes``)."""
        return [c for c, s in self.states.items() if css_class in (s.get("_dom_classes") or ())]

    def enabled_button(self, description: str) -> str | None:
        """The newest button with this label that can still be clicked."""
        found = [
            c
            for c in self.find(_model_name="ButtonModel", description=description)
            if not self.states[c].get("disabled")
        ]
        return found[-1] if found else None


def click(kernel: Kernel, comm_id: str, subshell_id: str | None = None) -> None:
    """Click a button the way a frontend does: a comm message on the shell channel
    (sent to ``subshell_id``, as JupyterLab sends widget messages, when given)."""
    content = {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}}
    msg = kernel.client.session.msg("comm_msg", content)
    if subshell_id is not None:
        msg["header"]["subshell_id"] = subshell_id
    kernel.client.shell_channel.send(msg)


def control_request(kernel: Kernel, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
    """Send a control request (``create_subshell_request`` …); its reply's content."""
    msg = kernel.client.session.msg(msg_type, content)
    kernel.client.control_channel.send(msg)
    while True:
        reply = kernel.client.get_control_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            return reply["content"]


def execute(
    kernel: Kernel,
    code: str,
    on_message: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = 60,
) -> CellResult:
    """Run one cell; ``on_message`` sees every iopub message, whatever cell caused it.

    (A background run's widgets keep the parent of the cell that started it.)
    """
    return kernel.execute(code, timeout=timeout, on_message=on_message, every_message=True)


# -- an offline plan with the test tools (tests/modules) ------------------------------

TOOLS_SOURCE = str(Path(__file__).parent / "modules" / "amplifier_module_tool_echo")


def configure(
    kernel: Kernel,
    script: list[Any],
    tools_config: dict[str, Any] | None = None,
    **provider_config: Any,
) -> None:
    """A fresh session: the scripted provider with ``script``, and the test tools."""
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [
            {"module": "provider-scripted", "config": {"script": script, **provider_config}}
        ],
        "tools": [{"module": "tool-echo", "source": TOOLS_SOURCE, "config": tools_config or {}}],
    }
    result = kernel.execute(f"_plan = {plan!r}\n%amplifier config _plan")
    assert result.ok and "plan set" in result.stdout, (result.stdout, result.stderr)


TEST_MODULES = str(Path(__file__).parent / "modules")  # tool-echo, provider-stubborn
UPSTREAM_LIKE = str(Path(__file__).parent / "upstream_like")


def stubborn(**config: Any) -> dict[str, Any]:
    """provider-stubborn (tests/modules): a 30 s call that ignores the cancellation token."""
    return {"module": "provider-stubborn", "source": TEST_MODULES, "config": config}


def basic_like_plan(provider: dict[str, Any], tools: list[Any] | None = None) -> dict[str, Any]:
    """loop-basic-like (checks the token only between model calls) with ``provider``."""
    return {
        "session": {
            "orchestrator": {"module": "loop-basic-like", "source": UPSTREAM_LIKE, "config": {}},
            "context": "context-notebook",
        },
        "providers": [provider],
        "tools": tools or [],
    }


def run_python(kernel: Kernel, code: str) -> str:
    """Run helper code in the kernel; its stdout (an error fails the test)."""
    result = kernel.execute(code)
    assert result.ok, result.error
    return result.stdout


# The test tools' package is importable before any session mounted it (a test may run
# alone): its folder goes on sys.path as the resolver puts it there (loading/resolver.py).
TOOLS_ROOT = str(Path(TOOLS_SOURCE).resolve().parent)
INSPECT = (
    "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
    "import sys as _sys\n"
    f"if {TOOLS_ROOT!r} not in _sys.path:\n"
    f"    _sys.path.insert(0, {TOOLS_ROOT!r})\n"
    "import amplifier_module_tool_echo as _tools\n"
)


def tool_messages(kernel: Kernel) -> list[str]:
    """The contents of the tool results in the conversation."""
    out = run_python(
        kernel,
        INSPECT + "import json\n"
        "print(json.dumps([m['content'] for m in await _ks().messages() if m['role'] == 'tool']))",
    )
    return json.loads(out)


def tool_calls(kernel: Kernel) -> list[list[Any]]:
    """Every call the test tools received in this kernel, in order: [name, input]."""
    return json.loads(run_python(kernel, INSPECT + "import json\nprint(json.dumps(_tools.CALLS))"))


def sent_to_model(kernel: Kernel) -> list[str]:
    """The tool results in the provider's last request (what the model read)."""
    out = run_python(
        kernel,
        INSPECT + "import json\n"
        "_p = _ks().session.coordinator.get('providers')['scripted']\n"
        "print(json.dumps([str(m.content) for m in _p.requests[-1].messages if m.role == 'tool']))",
    )
    return json.loads(out)
