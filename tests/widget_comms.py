"""Widgets seen from the wire: models from iopub comm messages, clicks sent as comm messages.

This is what a frontend does: it learns each widget's state from ``comm_open``
and ``comm_msg`` updates on iopub, and a button click is a ``comm_msg`` on the
shell channel. The panel is one widget (``PanelWidget``): its state holds the
status line, the timeline and the open questions, its answer comes as custom
messages (appended chunks), its clicks go back as custom messages
(``{"type": "stop"}``, ``{"type": "choose", "id": ..., "option": ...}``), and
at the end an ``update_display_data`` replaces it with its summary (static
HTML) before a ``comm_close``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel_harness import CellResult, Kernel

WIDGET_TARGET = "jupyter.widget"
PANEL_ID = "amplifier_jupyter.ui.panel_widget.PanelWidget"
# The static summary a finished run leaves (ui/panel_html.py summary_bundle).
SUMMARY_MARK = "amplifier-panel amplifier-summary"
# Its data, which the lab extension draws (ui/summary.py SUMMARY_MIME).
SUMMARY_MIME = "application/vnd.amplifier-jupyter.summary+json"


@dataclass
class Update:
    """One state update of one widget, as it arrived."""

    comm_id: str
    state: dict[str, Any]
    date: Any


@dataclass
class Chunk:
    """One answer message of a panel: the text it brought and the answer after it."""

    comm_id: str
    message: dict[str, Any]
    answer: str
    date: Any


@dataclass(frozen=True)
class Target:
    """Something to click: a panel's Stop button or one option of one of its questions."""

    comm_id: str
    content: str  # the custom message, as JSON (hashable)


@dataclass
class Widgets:
    """Every widget model seen on iopub, with its latest state, its updates, the panels'
    answers (as a browser assembles them) and the summaries that replaced them."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    # The panel's display id -> its comm, and the summaries by comm (update_display_data).
    displays: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened: int = 0
    comm_messages: int = 0
    # Every panel in order: a widget's comm id, or "summary-N" for a run too short to
    # open one (its summary was displayed as it is: ui/panel.py OPEN_AFTER).
    order: list[str] = field(default_factory=list)

    def feed(self, msg: dict[str, Any]) -> None:
        """Take one iopub message (anything that is not a widget comm is ignored)."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open" and content.get("target_name") == WIDGET_TARGET:
            self.opened += 1
            self.comm_messages += 1
            self.states[content["comm_id"]] = dict(content["data"].get("state", {}))
            if self.states[content["comm_id"]].get("_anywidget_id") == PANEL_ID:
                self.order.append(content["comm_id"])
        elif kind == "comm_msg" and content["comm_id"] in self.states:
            self.comm_messages += 1
            data = content.get("data", {})
            comm_id = content["comm_id"]
            if data.get("method") == "update":
                self.states[comm_id].update(data["state"])
                self.updates.append(Update(comm_id, data["state"], msg["header"].get("date")))
            elif data.get("method") == "custom":
                self._custom(comm_id, data.get("content") or {}, msg["header"].get("date"))
        elif kind == "comm_close" and content["comm_id"] in self.states:
            self.comm_messages += 1
            self.closed.add(content["comm_id"])
        elif kind in ("display_data", "update_display_data"):
            display_id = (content.get("transient") or {}).get("display_id")
            data = content.get("data", {})
            view = data.get("application/vnd.jupyter.widget-view+json")
            if display_id and view and view.get("model_id") in self.states:
                self.displays[display_id] = view["model_id"]
            elif kind == "update_display_data" and display_id in self.displays:
                self.summaries[self.displays[display_id]] = data
            elif kind == "display_data" and SUMMARY_MARK in data.get("text/html", ""):
                static = f"summary-{len(self.order)}"
                self.order.append(static)
                self.summaries[static] = data

    def _custom(self, comm_id: str, message: dict[str, Any], date: Any) -> None:
        if message.get("type") != "answer":
            return
        text = self.answers.get(comm_id, "")
        if message.get("reset"):
            text = message["text"]
        else:
            assert message["at"] == len(text), ("a gap or an overlap", message["at"], len(text))
            text += message["text"]
        self.answers[comm_id] = text
        self.chunks.append(Chunk(comm_id, message, text, date))

    # -- the panels ------------------------------------------------------

    def panels(self) -> list[str]:
        """The panels' comm ids, oldest first."""
        return list(self.order)

    def panel(self, index: int = -1) -> str:
        """One panel's comm id (the newest by default)."""
        return self.panels()[index]

    def answer(self, index: int = -1) -> str:
        """A panel's streamed answer as a browser shows it (what is left of it at the end)."""
        return self.answers.get(self.panel(index), "")

    def streamed(self, index: int = -1) -> list[str]:
        """The panel's answer after each of its answer messages."""
        panel = self.panel(index)
        return [c.answer for c in self.chunks if c.comm_id == panel]

    def summary(self, index: int = -1) -> dict[str, Any] | None:
        """The bundle (text/html, text/plain) that replaced the panel, once it did."""
        return self.summaries.get(self.panel(index))

    def _part(self, name: str, index: int) -> str:
        panel = self.panel(index)
        summary = self.summaries.get(panel)
        if summary is not None:
            body = summary["text/html"]
            marker = f'<div class="amplifier-{name}">'
            start = body.index(marker) + len(marker)
            return body[start:]  # to the end: enough for looking for text in it
        return self.states[panel][f"{name}_html"]

    def status(self, index: int = -1) -> str:
        """The panel's status line (HTML): live, or as its summary left it."""
        text = self._part("status", index)
        return text.split('<div class="amplifier-timeline">')[0]

    def timeline(self, index: int = -1) -> str:
        """The panel's timeline (HTML): live, or as its summary left it."""
        return self._part("timeline", index)

    def all_timelines(self) -> str:
        """Every panel's timeline, joined."""
        return " ".join(self.timeline(i) for i in range(len(self.panels())))

    def approvals(self, index: int = -1) -> list[dict[str, Any]]:
        """A panel's open questions (each: id, question_html, options, countdown_html)."""
        return list(self.states.get(self.panel(index), {}).get("approvals") or [])

    def questions_seen(self) -> list[dict[str, Any]]:
        """Every question any panel showed, once each, in order."""
        seen: dict[tuple[str, Any], dict[str, Any]] = {}
        for panel in self.panels():
            states = [u.state for u in self.updates if u.comm_id == panel]
            for state in [self.states.get(panel, {}), *states]:
                for card in state.get("approvals") or []:
                    seen.setdefault((panel, card["id"]), card)
        return list(seen.values())

    def review(self, card: dict[str, Any]) -> dict[str, Any] | None:
        """What a question seen (``questions_seen``) showed would change: its entry in the
        panel's ``reviews`` state (sent apart from the cards), as it last was."""
        key, found = str(card["id"]), None
        for panel in self.panels():
            for state in [self.states.get(panel, {}), *(u.state for u in self.updates)]:
                found = (state.get("reviews") or {}).get(key, found)
        return found

    def running(self, index: int = -1) -> bool:
        """Whether a panel is live and says its run goes on."""
        panel = self.panel(index)
        return panel not in self.closed and bool(self.states.get(panel, {}).get("running"))

    def enabled_button(self, label: str) -> Target | None:
        """The newest live button with this label that can still be clicked: a panel's
        Stop ("Stop", "Stop now") or an option of a question."""
        for panel in reversed(self.panels()):
            if panel in self.closed or panel not in self.states:
                continue
            state = self.states[panel]
            for card in reversed(state.get("approvals") or []):
                if label in card["options"]:
                    message = {"type": "choose", "id": card["id"], "option": label}
                    return Target(panel, json.dumps(message))
            if (
                state.get("running")
                and state.get("stop_label") == label
                and not state.get("stop_disabled")
            ):
                return Target(panel, json.dumps({"type": "stop"}))
        return None

    # -- any widget --------------------------------------------------------

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

    def alive(self) -> list[str]:
        """The widgets not closed."""
        return [c for c in self.states if c not in self.closed]


def click(kernel: Kernel, target: Target | None, subshell_id: str | None = None) -> None:
    """Click the way a frontend does: a custom comm message on the shell channel (sent to
    ``subshell_id``, as JupyterLab sends widget messages, when given)."""
    assert target is not None, "nothing to click"
    data = {"method": "custom", "content": json.loads(target.content)}
    content = {"comm_id": target.comm_id, "data": data}
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


def render(kernel: Kernel, comm_id: str) -> None:
    """Report a panel's view as drawn, as ``assets/panel.js`` does when it renders one."""
    click(kernel, Target(comm_id, json.dumps({"type": "rendered"})))


def execute(
    kernel: Kernel,
    code: str,
    on_message: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = 60,
    *,
    renders: bool = True,
) -> CellResult:
    """Run one cell; ``on_message`` sees every iopub message, whatever cell caused it.

    (A background run's widgets keep the parent of the cell that started it.)
    ``renders``: like a frontend that draws widgets, report each panel's view as drawn
    once its widget arrives (else the panel's questions find nobody to answer them).
    """

    def seen(msg: dict[str, Any]) -> None:
        content = msg["content"]
        if renders and msg["msg_type"] == "comm_open":
            state = (content.get("data") or {}).get("state") or {}
            if state.get("_anywidget_id") == PANEL_ID:
                render(kernel, content["comm_id"])
        if on_message is not None:
            on_message(msg)

    return kernel.execute(code, timeout=timeout, on_message=seen, every_message=True)


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
