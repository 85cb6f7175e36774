"""Stopping a run: the Stop button and the kernel's interrupt, mid-stream, mid-approval, mid-tool.

After every stop the conversation is valid (each tool call has a result), the
next cell works, and a kernel shuts down cleanly after runs that were stopped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kernel_harness import Kernel, offline_env
from widget_comms import Widgets, click, configure, execute, run_python, tool_calls

LONG = " ".join(f"word{i}" for i in range(400))


@pytest.fixture(autouse=True)
def default_policy(kernel: Kernel) -> None:
    """Each test starts from the default approval policy, whatever the test before it set."""
    assert "default auto" in kernel.execute("%amplifier approve auto --timeout 120").stdout


VALID = """
import json
from amplifier_jupyter.session.kernel import kernel_session as _ks
_msgs = await _ks().messages()
_ids = [c['id'] for m in _msgs if m['role'] == 'assistant' for c in (m.get('tool_calls') or [])]
_answered = {m.get('tool_call_id') for m in _msgs if m['role'] == 'tool'}
print(json.dumps({"roles": [m['role'] for m in _msgs], "unanswered": sorted(set(_ids) - _answered),
                  "tools": [m['content'] for m in _msgs if m['role'] == 'tool']}))
"""


def conversation(kernel: Kernel) -> dict[str, Any]:
    return json.loads(run_python(kernel, VALID))


def stopping_when(kernel: Kernel, widgets: Widgets, ready, how: str = "button"):
    """An iopub callback that stops the run once ``ready(widgets)`` holds."""
    stopped: list[bool] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        if stopped or not ready(widgets):
            return
        stopped.append(True)
        if how == "button":
            click(kernel, widgets.enabled_button("Stop"))
        else:
            kernel.manager.interrupt_kernel()

    return on_message, stopped


def interrupting_when_printed(kernel: Kernel, widgets: Widgets, text: str):
    """An iopub callback that interrupts the kernel once a cell prints ``text``."""
    interrupted: list[bool] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        printed = msg["msg_type"] == "stream" and text in msg["content"]["text"]
        if printed and not interrupted:
            interrupted.append(True)
            kernel.manager.interrupt_kernel()

    return on_message, interrupted


def assert_a_plain_cell_is_interrupted(kernel: Kernel, widgets: Widgets) -> None:
    """The kernel's own SIGINT handler is in place: a sleeping cell ends in KeyboardInterrupt."""
    on_message, _ = interrupting_when_printed(kernel, widgets, "sleeping")
    plain = execute(
        kernel, "import time\nprint('sleeping', flush=True)\ntime.sleep(60)", on_message
    )
    assert plain.error is not None and plain.error["ename"] == "KeyboardInterrupt"


def streamed(widgets: Widgets) -> str:
    answers = widgets.with_class("amplifier-answer")
    if not answers:
        return ""
    outputs = widgets.states[answers[-1]].get("outputs") or []
    return outputs[0]["data"]["text/markdown"] if outputs else ""


def has_text(widgets: Widgets) -> bool:
    return len(streamed(widgets)) > 40


def status(widgets: Widgets) -> str:
    return widgets.states[widgets.with_class("amplifier-status")[-1]]["value"]


def timeline(widgets: Widgets) -> str:
    return widgets.states[widgets.with_class("amplifier-timeline")[-1]]["value"]


@pytest.mark.parametrize("how", ["button", "interrupt"])
def test_a_stop_mid_stream_ends_the_run_and_the_next_cell_works(kernel: Kernel, how: str) -> None:
    configure(kernel, [LONG, "Next answer."], chunk_delay=0.02)
    run_python(kernel, "_amplifier = 'the previous answer'")
    widgets = Widgets()
    on_message, stopped = stopping_when(kernel, widgets, has_text, how)
    result = execute(kernel, "%%amplifier\nTalk.", on_message, timeout=30)
    assert stopped and result.ok, result.error
    assert result.stdout == "amplifier: stopped\n" and result.stderr == ""
    assert result.markdown == []  # no answer to show; the partial text stays in the panel
    # A stopped run has no answer: the last one stays bound, as after a failed run.
    assert run_python(kernel, "print(_amplifier)").strip() == "the previous answer"
    assert 40 < len(streamed(widgets)) < len(LONG) and LONG.startswith(streamed(widgets))
    assert "Stopped after" in status(widgets)
    assert execute(kernel, "%%amplifier\nAnd now?").markdown == ["Next answer."]
    assert conversation(kernel)["unanswered"] == []


def test_a_stop_while_a_question_waits_denies_it(kernel: Kernel) -> None:
    call = {"tool_calls": [{"name": "echo", "input": {"text": "never"}}]}
    configure(kernel, [call, "After the stop."])
    kernel.execute("%amplifier approve ask")
    before = len(tool_calls(kernel))
    widgets = Widgets()
    asking = lambda w: w.enabled_button("Allow once") is not None  # noqa: E731
    on_message, stopped = stopping_when(kernel, widgets, asking)
    result = execute(kernel, "%%amplifier\nEcho.", on_message, timeout=30)
    assert stopped and result.ok and result.stdout == "amplifier: stopped\n"
    assert len(tool_calls(kernel)) == before
    assert "echo: stopped: denied" in timeline(widgets)
    (approvals,) = widgets.with_class("amplifier-approvals")
    assert widgets.states[approvals]["children"] == []
    after = conversation(kernel)
    assert after["unanswered"] == [] and after["tools"] == ["Not run: (stopped by the user)"]
    assert execute(kernel, "%%amplifier\nStill there?").markdown == ["After the stop."]


def tool_running(name: str):
    return lambda w: any(
        f"{name} <span" in w.states[t]["value"] and "→ …" in w.states[t]["value"]
        for t in w.with_class("amplifier-timeline")
    )


def test_a_stop_mid_tool_cancels_the_tool_call(kernel: Kernel) -> None:
    call = {"tool_calls": [{"name": "nap", "input": {"seconds": 60}}]}
    configure(kernel, [call, "Rested enough."])
    kernel.execute("%amplifier approve allow nap")
    widgets = Widgets()
    on_message, stopped = stopping_when(kernel, widgets, tool_running("nap"))
    # The nap is a minute long: the cell's 30 s limit only passes if the stop worked.
    result = execute(kernel, "%%amplifier\nNap.", on_message, timeout=30)
    assert stopped and result.ok and result.stdout == "amplifier: stopped\n"
    assert "{&quot;seconds&quot;: 60}</span> → not finished" in timeline(widgets)
    assert conversation(kernel)["tools"] == ["Not run: (stopped by the user)"]
    assert execute(kernel, "%%amplifier\nAwake?").markdown == ["Rested enough."]


def test_the_interrupt_reaches_synchronous_user_code_as_keyboardinterrupt(kernel: Kernel) -> None:
    call = {"tool_calls": [{"name": "block", "input": {"seconds": 60}}]}
    configure(kernel, [call, "never asked"])
    kernel.execute("%amplifier approve allow block")
    widgets = Widgets()
    on_message, interrupted = interrupting_when_printed(kernel, widgets, "blocking")
    result = execute(kernel, "%%amplifier\nBlock.", on_message, timeout=30)
    assert interrupted and result.ok and result.stdout == "blocking\namplifier: stopped\n"
    # The tool saw the KeyboardInterrupt and reported it; the agent then stopped.
    assert "</span> → KeyboardInterrupt" in timeline(widgets)
    calls = run_python(
        kernel,
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
        "print(_ks().session.coordinator.get('providers')['scripted'].calls)",
    )
    assert calls.strip() == "1"
    assert conversation(kernel)["unanswered"] == []
    # The kernel's own handler is back: a plain cell is interrupted as usual.
    assert_a_plain_cell_is_interrupted(kernel, Widgets())


def test_a_background_run_is_stopped_by_its_button_not_by_interrupting_another_cell(
    kernel: Kernel,
) -> None:
    configure(kernel, [LONG], chunk_delay=0.02)
    widgets = Widgets()
    assert execute(kernel, "%%amplifier --background\nTalk.", widgets.feed).ok
    assert_a_plain_cell_is_interrupted(kernel, widgets)
    running = execute(
        kernel,
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\nprint(_ks().busy)",
        widgets.feed,
    )
    assert running.stdout.strip() == "True"
    on_message, stopped = stopping_when(kernel, widgets, has_text)
    waited = execute(kernel, "%amplifier wait", on_message, timeout=30)
    assert stopped and waited.stdout.strip() == "amplifier: the background run was stopped"
    assert "Stopped after" in status(widgets)


# -- stop, then shut the kernel down: several times, never a crash ------------------


def test_run_stop_shutdown_again_and_again_never_crashes(tmp_path: Path) -> None:
    for round_ in range(4):
        log = tmp_path / f"kernel-{round_}.log"
        with log.open("w") as stderr:  # the kernel's stderr
            kernel = Kernel(env=offline_env()).start(stderr=stderr)
            process = kernel.manager.provisioner.process
            try:
                assert kernel.execute("%load_ext amplifier_jupyter").ok
                configure(kernel, [LONG], chunk_delay=0.02)
                widgets = Widgets()
                how = "button" if round_ % 2 else "interrupt"
                on_message, stopped = stopping_when(kernel, widgets, has_text, how)
                result = execute(kernel, "%%amplifier\nTalk.", on_message, timeout=30)
                assert stopped and result.stdout == "amplifier: stopped\n"
            finally:
                kernel.shutdown()
            code = process.wait(timeout=30)
        text = log.read_text()
        assert code == 0, (round_, code, text[-3000:])
        assert "Fatal Python error" not in text and "Segmentation fault" not in text, text
