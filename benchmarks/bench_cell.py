"""What a ``%%amplifier`` cell costs over a plain ``await session.execute()``, side by side.

Two kernels, each with its cases alternating, ``--runs`` cells each, timed from
the client (execute request to idle), beside the kernel process's CPU time per
cell (all its threads, from the scheduler's own count in
``/proc/PID/task/*/schedstat``, in nanoseconds: the clock ticks of
``/proc/PID/stat`` are as long as a cell):

* **offline**: the scripted provider (so the model's time is zero and what
  remains is ours: the magic, the panel, the transcript), a plain
  ``AmplifierSession`` with the same plan beside it;
* **fake API**: the default plan (provider-claude, the notebook tools) against
  ``tests/fake_anthropic.py`` in a process of its own (it answers "4"), beside
  a plain ``AmplifierSession`` with the default plan and the raw SDK's streaming
  call shown as Markdown.

The import warm-up is off (it imports between cells, and its CPU would count
for the cell before it); the first cells pay the imports and are not counted.
Run: ``python benchmarks/bench_cell.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from bench_stream import Fake  # noqa: E402
from kernel_harness import Kernel, fake_api_env, offline_env  # noqa: E402

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

FAKE_SETUP = """\
%load_ext amplifier_jupyter
import anthropic
from IPython.display import Markdown, display
from amplifier_core import AmplifierSession
from amplifier_jupyter.session.plans import default_plan
_client = anthropic.AsyncAnthropic()
plain = AmplifierSession(config=default_plan())
await plain.initialize()
"""

PLAIN = "await session.execute() (plain)"
CELL = "%%amplifier cell (panel, transcript)"
CASES = {
    PLAIN: "print(await plain.execute('What is 2 + 2?'))",
    CELL: "%%amplifier\nWhat is 2 + 2?",
}
RAW = "raw SDK stream shown as Markdown"
FAKE_CASES = {
    RAW: (
        "async with _client.messages.stream(model='claude-sonnet-5-5', max_tokens=1024,\n"
        "        messages=[{'role': 'user', 'content': 'What is 2 + 2?'}]) as _stream:\n"
        "    display(Markdown(await _stream.get_final_text()))"
    ),
    **CASES,
}


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


def run_cases(
    kernel: Kernel, setup: str, cases: dict[str, str], runs: int
) -> dict[str, tuple[float, float]]:
    """Each case's median seconds and mean CPU seconds per cell, run alternating."""
    result = kernel.execute(setup)
    assert result.ok, result.error
    for code in cases.values():  # warm every path (first session start, imports)
        for _ in range(2):
            kernel.execute(code)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, float] = dict.fromkeys(cases, 0.0)
    for _ in range(runs):
        for name, code in cases.items():
            cpu_before, started = cpu_seconds(kernel), time.perf_counter()
            result = kernel.execute(code)
            samples[name].append(time.perf_counter() - started)
            cpu[name] += cpu_seconds(kernel) - cpu_before
            assert result.ok, result.error
    return {name: (statistics.median(samples[name]), cpu[name] / runs) for name in cases}


def report(title: str, measured: dict[str, tuple[float, float]], anchors: list[str]) -> None:
    print(f"\n{title}")
    header = "".join(f" {'× ' + a[:14]:>17} {'CPU ×':>7}" for a in anchors)
    print(f"{'case':40} {'median ms':>10} {'CPU ms':>8}{header}")
    for name, (wall, cpu) in measured.items():
        ratios = "".join(
            f" {wall / measured[a][0]:17.2f} {cpu / measured[a][1]:7.2f}" for a in anchors
        )
        print(f"{name:40} {wall * 1000:10.1f} {cpu * 1000:8.1f}{ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    with Kernel(env=offline_env(AMPLIFIER_JUPYTER_WARMUP="0")) as kernel:
        offline = run_cases(kernel, SETUP, CASES, runs)
    report("offline (scripted provider, tools off)", offline, [PLAIN])
    fake = Fake()
    try:
        env = offline_env(AMPLIFIER_JUPYTER_WARMUP="0", **fake_api_env(fake.url))
        with Kernel(env=env) as kernel:
            against = run_cases(kernel, FAKE_SETUP, FAKE_CASES, runs)
    finally:
        fake.stop()
    report("fake Messages API (default plan)", against, [PLAIN, RAW])


if __name__ == "__main__":
    main()
