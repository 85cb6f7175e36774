"""Stopping a run: the Stop button and the kernel's interrupt, mid-stream, mid-approval, mid-tool.

After every stop the conversation is valid (each tool call has a result), the
next cell works, and a kernel shuts down cleanly after runs that were stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kernel_harness import Kernel, offline_env
from widget_comms import (
    Widgets,
    click,
    configure,
    control_request,
    execute,
    run_python,
    tool_calls,
)

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
    return widgets.answer() if widgets.panels() else ""


def has_text(widgets: Widgets) -> bool:
    return len(streamed(widgets)) > 40


def status(widgets: Widgets) -> str:
    return widgets.status()


def timeline(widgets: Widgets) -> str:
    return widgets.timeline() if widgets.panels() else ""


@pytest.mark.parametrize("how", ["button", "interrupt"])
def test_a_stop_mid_stream_ends_the_run_and_the_next_cell_works(kernel: Kernel, how: str) -> None:
    configure(kernel, [LONG, "Next answer."], chunk_delay=0.02)
    run_python(kernel, "_amplifier = 'the previous answer'")
    widgets = Widgets()
    on_message, stopped = stopping_when(kernel, widgets, has_text, how)
    result = execute(kernel, "%%amplifier\nTalk.", on_message, timeout=30)
    assert stopped and result.ok, result.error
    assert result.stdout == "amplifier: stopped\n" and result.stderr == ""
    # No answer to show: the partial text stays, as Markdown, when the panel goes.
    (partial,) = result.markdown
    assert 40 < len(partial) < len(LONG) and LONG.startswith(partial)
    assert partial.startswith(streamed(widgets))  # all the panel showed, and what came after
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
    assert widgets.approvals() == []
    after = conversation(kernel)
    assert after["unanswered"] == [] and after["tools"] == ["Not run: (stopped by the user)"]
    assert execute(kernel, "%%amplifier\nStill there?").markdown == ["After the stop."]


def tool_running(name: str):
    return lambda w: f"{name} <span" in timeline(w) and "→ …" in timeline(w)


def test_a_stop_mid_tool_cancels_the_tool_call(kernel: Kernel) -> None:
    call = {"tool_calls": [{"name": "nap", "input": {"seconds": 60}}]}
    configure(kernel, [call, "Rested enough."])
    kernel.execute("%amplifier approve allow nap")
    widgets = Widgets()
    on_message, stopped = stopping_when(kernel, widgets, tool_running("nap"))
    # The nap is a minute long: the cell's 30 s limit only passes if the stop worked.
    result = execute(kernel, "%%amplifier\nNap.", on_message, timeout=30)
    assert stopped and result.ok and result.stdout == "amplifier: stopped\n"
    assert "{&quot;seconds&quot;: 60}</code>" in timeline(widgets)  # the nap, its input
    assert "→ not finished" in timeline(widgets)  # and its result
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
    assert "→ KeyboardInterrupt" in timeline(widgets)
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


# -- the Stop button while user code blocks the kernel --------------------------------

BLOCKING_HINT = "interrupt the kernel (■) to stop it"
PROVIDER_CALLS_SO_FAR = (
    "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
    "print(_ks().session.coordinator.get('providers')['scripted'].calls)"
)


def when_printed(widgets: Widgets, text: str, act):
    """An iopub callback that calls ``act()`` once a cell prints ``text``; what the status
    said at that moment is kept."""
    seen: list[str] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        printed = msg["msg_type"] == "stream" and text in msg["content"]["text"]
        if printed and not seen:
            seen.append(status(widgets))
            act()

    return on_message, seen


@contextmanager
def subshell_clicks(kernel: Kernel) -> Iterator[tuple[Widgets, Callable[[], None]]]:
    """A subshell for the block's length, the widgets seen, and a Stop click sent to it."""
    subshell = control_request(kernel, "create_subshell_request", {})["subshell_id"]
    widgets = Widgets()

    def stop() -> None:
        click(kernel, widgets.enabled_button("Stop"), subshell_id=subshell)

    try:
        yield widgets, stop
    finally:
        control_request(kernel, "delete_subshell_request", {"subshell_id": subshell})


def test_where_a_click_cannot_reach_blocking_code_the_panel_names_the_interrupt(
    kernel: Kernel,
) -> None:
    """jupyter_client sends comms on the main shell (no subshell): the click would wait."""
    call = {"tool_calls": [{"name": "block", "input": {"seconds": 60}}]}
    configure(kernel, [call, "never asked"])
    kernel.execute("%amplifier approve allow block")
    widgets = Widgets()
    on_message, seen = when_printed(widgets, "blocking", kernel.manager.interrupt_kernel)
    result = execute(kernel, "%%amplifier\nBlock.", on_message, timeout=30)
    assert seen and result.ok and result.stdout == "blocking\namplifier: stopped\n"
    assert BLOCKING_HINT in seen[0]  # said while the code ran
    assert BLOCKING_HINT not in status(widgets) and "Stopped after" in status(widgets)


def test_a_stop_click_on_a_subshell_interrupts_blocking_code_as_the_interrupt_does(
    kernel: Kernel,
) -> None:
    """As JupyterLab sends widget messages: to a subshell, which runs beside the main thread."""
    with subshell_clicks(kernel) as (widgets, stop):
        call = {"tool_calls": [{"name": "block", "input": {"seconds": 60}}]}
        configure(kernel, [call, "never asked"])
        kernel.execute("%amplifier approve allow block")
        on_message, seen = when_printed(widgets, "blocking", stop)
        # The block is a minute long: the 30 s limit only passes if the click reached it.
        result = execute(kernel, "%%amplifier\nBlock.", on_message, timeout=30)
        assert seen and result.ok and result.stdout == "blocking\namplifier: stopped\n"
        assert BLOCKING_HINT not in seen[0]  # a click reaches this code: nothing to say
        assert "→ KeyboardInterrupt" in timeline(widgets)
        assert "Stopped after" in status(widgets)
        assert run_python(kernel, PROVIDER_CALLS_SO_FAR).strip() == "1"  # the agent stopped
        assert conversation(kernel)["unanswered"] == []
        assert_a_plain_cell_is_interrupted(kernel, Widgets())


def test_a_stop_click_on_a_subshell_stops_a_slow_summary(kernel: Kernel) -> None:
    with subshell_clicks(kernel) as (widgets, stop):
        configure(kernel, ["After the stop."])
        run_python(kernel, SLOW_VALUE)
        on_message, seen = when_printed(widgets, "summarizing", stop)
        result = execute(kernel, "%%amplifier\nLook at {slow}.", on_message, timeout=30)
        assert seen and result.ok and result.stderr == ""
        assert result.stdout == "summarizing\namplifier: stopped\n"
        assert run_python(kernel, PROVIDER_CALLS).strip() == "0"
        run_python(kernel, "del slow")
        assert execute(kernel, "%%amplifier\nAnd now?").markdown == ["After the stop."]


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


# -- the interrupt while a cell gathers its notebook context -------------------------

SLOW_VALUE = """
import time
class Slow:
    def __repr__(self):
        print('summarizing', flush=True)
        time.sleep(60)
        return 'slow'
    __str__ = __repr__
slow = Slow()
"""
PROVIDER_CALLS = (
    "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
    "_s = _ks().session\n"
    "print(len(_s.coordinator.get('providers')['scripted'].requests) if _s else 0)"
)


@pytest.mark.parametrize("cell", ["%%amplifier\nLook at {slow}.", "%%amplifier --vars slow\nLook."])
def test_the_interrupt_while_a_value_is_summarized_stops_at_once_in_one_line(
    kernel: Kernel, cell: str
) -> None:
    configure(kernel, ["After the stop."])
    run_python(kernel, SLOW_VALUE)
    widgets = Widgets()
    on_message, interrupted = interrupting_when_printed(kernel, widgets, "summarizing")
    # The repr sleeps a minute: the 30 s limit only passes if the interrupt reached it.
    result = execute(kernel, cell, on_message, timeout=30)
    assert interrupted and result.ok, result.error
    assert result.stdout == "summarizing\namplifier: stopped\n" and result.stderr == ""
    assert "Stopped after" in status(widgets)
    assert run_python(kernel, PROVIDER_CALLS).strip() == "0"  # nothing was sent
    run_python(kernel, "del slow")
    after = execute(kernel, "%%amplifier\nAnd now?")
    assert after.markdown == ["After the stop."] and after.stderr == "", after.stderr
    # The kernel's own handler is back: a plain cell is interrupted as usual.
    assert_a_plain_cell_is_interrupted(kernel, Widgets())


RAISING_VALUES = """
class Interrupting:
    def __repr__(self):
        raise KeyboardInterrupt
    __str__ = __repr__
class Leaving(BaseException):
    pass
class Odd:
    def __len__(self):
        raise Leaving('from __len__')
    @property
    def shape(self):
        raise SystemExit(3)
    @property
    def part(self):
        raise KeyboardInterrupt
    def __repr__(self):
        raise Leaving('from __repr__')
ki, odd = Interrupting(), Odd()
"""
LAST_PROMPT = (
    "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
    "print(_ks().session.coordinator.get('providers')['scripted'].requests[-1]"
    ".messages[-1].content)"
)


def test_values_whose_code_raises_anything_are_summarized_as_such(kernel: Kernel) -> None:
    configure(kernel, ["Seen."])
    run_python(kernel, RAISING_VALUES)
    result = execute(kernel, "%%amplifier --vars ki,odd\nLook at {ki}, {odd} and {odd.part}.")
    assert result.ok and result.markdown == ["Seen."], (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "left {odd.part} as written: Odd.part could not be summarized: KeyboardInterrupt" in (
        result.stdout
    )
    sent = run_python(kernel, LAST_PROMPT)
    assert "Look at <Interrupting: could not be summarized: KeyboardInterrupt>, " in sent
    assert "<Odd: could not be summarized: Leaving: from __len__> and {odd.part}." in sent
    assert (
        "### ki (Interrupting)\n<Interrupting: could not be summarized: KeyboardInterrupt>" in sent
    )
    assert "### odd (Odd)\n<Odd: could not be summarized: Leaving: from __repr__>" in sent
    run_python(kernel, "del ki, odd")
