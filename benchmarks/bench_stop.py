"""How fast a running agent stops, and how often the panel updates during a fast stream.

In one real kernel (offline: the scripted provider and the test tools), each
case starts a ``%%amplifier`` cell, stops it the way a person would (the
panel's Stop button as a widget comm message, or the kernel's interrupt) and
measures the time from sending the stop to the cell going idle. The goal is
well under a second. The last line counts the answer's widget updates per
second for a 2,000-delta stream (the goal: at most about 20).
Run: ``python benchmarks/bench_stop.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kernel_harness import Kernel, offline_env  # noqa: E402
from widget_comms import Widgets, click, configure, execute  # noqa: E402

LONG = " ".join(f"word{i}" for i in range(2000))


def streaming(w: Widgets) -> bool:
    answers = w.with_class("amplifier-answer")
    return bool(answers and w.states[answers[-1]].get("outputs"))


def asking(w: Widgets) -> bool:
    return w.enabled_button("Allow once") is not None


def tool_started(w: Widgets) -> bool:
    return any("→ …" in w.states[t]["value"] for t in w.with_class("amplifier-timeline"))


def stop_latency(kernel: Kernel, ready: Any, how: str) -> float:
    """Seconds from sending the stop to the cell's idle."""
    widgets = Widgets()
    sent: list[float] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        if sent:
            return
        if how == "blocking":
            if msg["msg_type"] == "stream" and "blocking" in msg["content"]["text"]:
                sent.append(time.perf_counter())
                kernel.manager.interrupt_kernel()
            return
        if ready(widgets):
            sent.append(time.perf_counter())
            if how == "button":
                click(kernel, widgets.enabled_button("Stop"))
            else:
                kernel.manager.interrupt_kernel()

    execute(kernel, "%%amplifier\nGo.", on_message, timeout=120)
    return time.perf_counter() - sent[0]


CASES = {
    "Stop button, mid-stream": ([LONG], "auto", streaming, "button"),
    "kernel interrupt, mid-stream": ([LONG], "auto", streaming, "interrupt"),
    "Stop button, mid-approval": (
        [{"tool_calls": [{"name": "echo", "input": {"text": "x"}}]}],
        "ask",
        asking,
        "button",
    ),
    "Stop button, mid-tool (await)": (
        [{"tool_calls": [{"name": "nap", "input": {"seconds": 60}}]}],
        "allow",
        tool_started,
        "button",
    ),
    "kernel interrupt, in user code": (
        [{"tool_calls": [{"name": "block", "input": {"seconds": 60}}]}],
        "allow",
        None,
        "blocking",
    ),
}


def updates_per_second(kernel: Kernel) -> tuple[float, int]:
    configure(kernel, [LONG], chunk_delay=0.0005)
    widgets = Widgets()
    execute(kernel, "%%amplifier\nStream.", widgets.feed, timeout=120)
    (answer,) = widgets.with_class("amplifier-answer")
    dates = [u.date for u in widgets.updates if u.comm_id == answer and u.state.get("outputs")]
    seconds = (dates[-1] - dates[0]).total_seconds()
    return (len(dates) - 1) / seconds if seconds else float("nan"), len(dates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"{'case':34} {'median ms':>10} {'max ms':>8}")
    with Kernel(env=offline_env()) as kernel:
        kernel.execute("%load_ext amplifier_jupyter")
        for name, (script, policy, ready, how) in CASES.items():
            samples = []
            for _ in range(runs):
                configure(kernel, script, chunk_delay=0.01)
                kernel.execute(f"%amplifier approve {policy}")
                samples.append(stop_latency(kernel, ready, how))
            median, worst = statistics.median(samples) * 1000, max(samples) * 1000
            print(f"{name:34} {median:10.0f} {worst:8.0f}")
        kernel.execute("%amplifier approve auto")
        rate, count = updates_per_second(kernel)
        print(f"answer updates for 2,000 deltas: {count} ({rate:.1f} per second)")


if __name__ == "__main__":
    main()
