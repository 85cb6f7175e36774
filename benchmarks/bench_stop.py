"""How fast a running agent stops, and how often the panel updates during a fast stream.

In one real kernel (offline: the scripted provider and the test modules), each
case starts a ``%%amplifier`` cell, stops it the way a person would (the
panel's Stop button as a widget comm message, or the kernel's interrupt) and
measures the time from sending the stop to the cell going idle. The goal is
at most a second for every case:

* the built-in loop mid-stream, mid-approval and mid-tool;
* user code that blocks the kernel in the ``python`` tool (``time.sleep``),
  stopped by the interrupt, and by a Stop click sent to a subshell as
  JupyterLab sends it (a click on the main shell waits for the code: see the
  README);
* an orchestrator that ignores the stop during a model call (``loop-basic-like``
  with a 30 s provider call that never looks at the token): one Stop, which
  escalates after ``stopping.ESCALATE_AFTER``, and two.

The last line counts the answer's widget updates per second for a 2,000-delta
stream (the goal: at most about 20).
Run: ``python benchmarks/bench_stop.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from kernel_harness import Kernel, offline_env  # noqa: E402
from widget_comms import (  # noqa: E402
    TEST_MODULES,
    Widgets,
    basic_like_plan,
    click,
    control_request,
    execute,
    stubborn,
)

LONG = " ".join(f"word{i}" for i in range(2000))
TOOLS = {"module": "tool-echo", "source": TEST_MODULES}
PYTHON_TOOL = {"module": "tool-python"}
BLOCKING_CODE = "import time\nprint('blocking', flush=True)\ntime.sleep(60)"


def scripted(script: list[Any], **config: Any) -> dict[str, Any]:
    return {"module": "provider-scripted", "config": {"script": script, **config}}


def built_in(
    script: list[Any], tools: dict[str, Any] = TOOLS, chunk_delay: float = 0.01
) -> dict[str, Any]:
    return {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [scripted(script, chunk_delay=chunk_delay)],
        "tools": [tools],
    }


def basic_like_stubborn() -> dict[str, Any]:
    """loop-basic-like (checks the token only between model calls) and a 30 s call."""
    return basic_like_plan(stubborn())


def python_call() -> dict[str, Any]:
    return {"tool_calls": [{"name": "python", "input": {"code": BLOCKING_CODE}}]}


def timeline_has(text: str) -> Any:
    return lambda w: bool(w.panels()) and text in w.timeline()


def streaming(w: Widgets) -> bool:
    return bool(w.panels() and w.answer())


def asking(w: Widgets) -> bool:
    return w.enabled_button("Allow once") is not None


@dataclass
class Case:
    plan: dict[str, Any]
    policy: str
    ready: Any  # widgets -> bool, or the text a cell prints
    how: str  # "button", "interrupt", "subshell" (a click to a subshell), "twice"


CASES = {
    "Stop button, mid-stream": Case(built_in([LONG]), "auto", streaming, "button"),
    "kernel interrupt, mid-stream": Case(built_in([LONG]), "auto", streaming, "interrupt"),
    "Stop button, mid-approval": Case(
        built_in([{"tool_calls": [{"name": "echo", "input": {"text": "x"}}]}]),
        "ask",
        asking,
        "button",
    ),
    "Stop button, mid-tool (await)": Case(
        built_in([{"tool_calls": [{"name": "nap", "input": {"seconds": 60}}]}]),
        "allow nap",
        timeline_has("→ …"),
        "button",
    ),
    "kernel interrupt, python tool blocking": Case(
        built_in([python_call()], PYTHON_TOOL), "allow python", "blocking", "interrupt"
    ),
    "Stop (subshell), python tool blocking": Case(
        built_in([python_call()], PYTHON_TOOL), "allow python", "blocking", "subshell"
    ),
    "Stop button, loop ignoring the stop": Case(
        basic_like_stubborn(), "auto", timeline_has("stubborn …"), "button"
    ),
    "Stop twice, loop ignoring the stop": Case(
        basic_like_stubborn(), "auto", timeline_has("stubborn …"), "twice"
    ),
    "kernel interrupt, loop ignoring it": Case(
        basic_like_stubborn(), "auto", timeline_has("stubborn …"), "interrupt"
    ),
}


def configure(kernel: Kernel, plan: dict[str, Any], policy: str) -> None:
    result = kernel.execute(f"_plan = {plan!r}\n%amplifier config _plan")
    assert result.ok and "plan set" in result.stdout, (result.stdout, result.stderr)
    kernel.execute(f"%amplifier approve {policy}")


def stop_latency(kernel: Kernel, case: Case, subshell: str) -> float:
    """Seconds from sending the stop to the cell's idle."""
    widgets = Widgets()
    sent: list[float] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        if sent:
            return
        if isinstance(case.ready, str):
            ready = msg["msg_type"] == "stream" and case.ready in msg["content"]["text"]
        else:
            ready = case.ready(widgets)
        if not ready:
            return
        sent.append(time.perf_counter())
        if case.how == "interrupt":
            kernel.manager.interrupt_kernel()
        elif case.how == "subshell":
            click(kernel, widgets.enabled_button("Stop"), subshell_id=subshell)
        else:
            button = widgets.enabled_button("Stop")
            click(kernel, button)
            if case.how == "twice":  # the same button, which reads "Stop now" by then
                time.sleep(0.1)
                click(kernel, button)

    execute(kernel, "%%amplifier\nGo.", on_message, timeout=120)
    return time.perf_counter() - sent[0]


def updates_per_second(kernel: Kernel) -> tuple[float, int]:
    configure(kernel, built_in([LONG], chunk_delay=0.0005), "auto")
    widgets = Widgets()
    execute(kernel, "%%amplifier\nStream.", widgets.feed, timeout=120)
    dates = [c.date for c in widgets.chunks if c.message["text"]]
    seconds = (dates[-1] - dates[0]).total_seconds()
    return (len(dates) - 1) / seconds if seconds else float("nan"), len(dates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"{'case':40} {'median ms':>10} {'max ms':>8}")
    with Kernel(env=offline_env()) as kernel:
        kernel.execute("%load_ext amplifier_jupyter")
        subshell = control_request(kernel, "create_subshell_request", {})["subshell_id"]
        for name, case in CASES.items():
            samples = []
            for _ in range(runs):
                configure(kernel, case.plan, case.policy)
                samples.append(stop_latency(kernel, case, subshell))
            median, worst = statistics.median(samples) * 1000, max(samples) * 1000
            print(f"{name:40} {median:10.0f} {worst:8.0f}", flush=True)
        control_request(kernel, "delete_subshell_request", {"subshell_id": subshell})
        rate, count = updates_per_second(kernel)
        print(f"answer updates for 2,000 deltas: {count} ({rate:.1f} per second)")


if __name__ == "__main__":
    main()
