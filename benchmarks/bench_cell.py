"""What a ``%%amplifier`` cell costs over a plain ``await session.execute()``, side by side.

One kernel, the offline scripted provider (so the model's time is zero and
what remains is ours: the magic, the panel, the transcript). Each case runs
``--runs`` cells, alternating, timed from the client (execute request to idle),
beside the kernel process's CPU time per cell (all its threads, from the
scheduler's own count in ``/proc/PID/task/*/schedstat``, in nanoseconds: the
clock ticks of ``/proc/PID/stat`` are as long as a cell). The
import warm-up is off (it imports between cells, and its CPU would count for
the cell before it); the first cells pay the imports and are not counted.
Run: ``python benchmarks/bench_cell.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from kernel_harness import Kernel, offline_env  # noqa: E402

SETUP = """\
%load_ext amplifier_jupyter
from amplifier_core import AmplifierSession
from amplifier_jupyter.session.plans import scripted_plan
plan = scripted_plan([])
plan["tools"] = []
%amplifier config plan
plain = AmplifierSession(config=plan)
await plain.initialize()
"""


def cpu_seconds(kernel: Kernel) -> float:
    """The kernel process's CPU time so far: every thread's, as the scheduler counts it."""
    pid = kernel.manager.provisioner.process.pid
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total / 1e9


CASES = {
    "await session.execute() (plain)": "print(await plain.execute('What is 2 + 2?'))",
    "%%amplifier cell (panel, transcript)": "%%amplifier\nWhat is 2 + 2?",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    cpu: dict[str, float] = dict.fromkeys(CASES, 0.0)
    with Kernel(env=offline_env(AMPLIFIER_JUPYTER_WARMUP="0")) as kernel:
        assert kernel.execute(SETUP).ok
        for code in CASES.values():  # warm both paths (first session start, imports)
            kernel.execute(code)
        for _ in range(runs):
            for name, code in CASES.items():
                cpu_before, started = cpu_seconds(kernel), time.perf_counter()
                result = kernel.execute(code)
                samples[name].append(time.perf_counter() - started)
                cpu[name] += cpu_seconds(kernel) - cpu_before
                assert result.ok, result.error
    plain = "await session.execute() (plain)"
    base, base_cpu = statistics.median(samples[plain]), cpu[plain]
    print(f"{'case':40} {'median ms':>10} {'× plain':>8} {'CPU ms':>8} {'× plain':>8}")
    for name, values in samples.items():
        median = statistics.median(values)
        ratio = cpu[name] / base_cpu if base_cpu else float("nan")
        print(
            f"{name:40} {median * 1000:10.1f} {median / base:8.2f}"
            f" {cpu[name] / runs * 1000:8.1f} {ratio:8.2f}"
        )


if __name__ == "__main__":
    main()
