"""What loading the extension costs, and what the first ``%%amplifier`` cell pays after it.

Two parts, each case side by side with its baseline in one run:

1. **Imports** (fresh interpreters, ``--runs`` each): ``%load_ext amplifier_jupyter``
   beside the imports it defers (amplifier_core, anthropic, ipywidgets).
2. **Kernels** (real ipykernels with the default plan, provider-claude against
   the project's fake Messages API, ``--kernels`` of each kind; with the
   warm-up on, and off with ``AMPLIFIER_JUPYTER_WARMUP=0``):

   * the first cell, run ``--gap`` seconds (2) after ``%load_ext``, beside the
     median of the three cells after it, timed from the client (request to idle),
     and beside later cells that, like it, find the kernel idle for ``--gap``
     seconds (what a pause costs any cell is then not counted as the first
     cell's); also once the warm-up has finished, however long it took;
   * a user cell run ``--during`` seconds (0.5) after ``%load_ext``, while the
     warm-up is going on, beside the same cell in a kernel without it: a
     pure-Python loop, and an import of something the warm-up does not import
     (pandas), timed inside the cell;
   * ``%load_ext`` itself, timed inside the kernel.

Run: ``python benchmarks/bench_load.py`` (about ten minutes on a busy 2-core machine).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from fake_anthropic import FakeAnthropic  # noqa: E402
from kernel_harness import Kernel, fake_api_env, offline_env  # noqa: E402

T = TypeVar("T")

CASES = {
    "%load_ext amplifier_jupyter": (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import time\nt = time.perf_counter()\n"
        "shell.run_line_magic('load_ext', 'amplifier_jupyter')\n"
        "print(time.perf_counter() - t)"
    ),
    "import amplifier_core": (
        "import time\nt = time.perf_counter()\nimport amplifier_core\n"
        "print(time.perf_counter() - t)"
    ),
    "import anthropic": (
        "import time\nt = time.perf_counter()\nimport anthropic\nprint(time.perf_counter() - t)"
    ),
    "import ipywidgets": (
        "import time\nt = time.perf_counter()\nimport ipywidgets\nprint(time.perf_counter() - t)"
    ),
}

LOAD = (
    "import time as _time\n_t = _time.perf_counter()\n"
    "get_ipython().run_line_magic('load_ext', 'amplifier_jupyter')\n"
    "print(_time.perf_counter() - _t)"
)
PROMPT = "%%amplifier\nWhat is 2 + 2?"
TIMED = "import time as _time\n_t = _time.perf_counter()\n{body}\nprint(_time.perf_counter() - _t)"
USER_CELLS = {
    "a pure-Python loop": "x = 0\nfor i in range(2_000_000):\n    x += i * i",
    "import pandas": "import pandas",
}
# With no warm-up (turned off, or a version without one) it counts as done at once.
WARMUP_DONE = (
    "import sys\n_m = sys.modules.get('amplifier_jupyter._ipython.warmup')\n"
    "_w = _m and _m.current()\n"
    "print(*((True, 0.0) if _w is None else (_w.done.is_set(), _w.seconds)))"
)


def measure(code: str, runs: int) -> float:
    """Median seconds over ``runs`` fresh interpreters."""
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


def imports(runs: int) -> None:
    results = {name: measure(code, runs) for name, code in CASES.items()}
    base = results["%load_ext amplifier_jupyter"]
    print(f"{'case (fresh interpreters)':40} {'median ms':>10} {'× load_ext':>11}")
    for name, seconds in results.items():
        print(f"{name:40} {seconds * 1000:10.1f} {seconds / base:11.1f}")


def timed_cell(kernel: Kernel, code: str) -> float:
    started = time.perf_counter()
    result = kernel.execute(code, timeout=300)
    assert result.ok, result.error
    return time.perf_counter() - started


def printed_seconds(kernel: Kernel, code: str) -> float:
    result = kernel.execute(code, timeout=300)
    assert result.ok, result.error
    return float(result.stdout.split()[-1])


def wait_for_warmup(kernel: Kernel) -> float:
    """Poll between cells until the warm-up is done; its duration in seconds."""
    while True:
        done, seconds = kernel.execute(WARMUP_DONE).stdout.split()
        if done == "True":
            return float(seconds)
        time.sleep(0.1)


class Kernels:
    """Kernels with the default plan against the fake API, the warm-up on or off."""

    def __init__(self, fake: FakeAnthropic, folder: str) -> None:
        self.fake = fake
        self.folder = folder
        self.load_times: dict[bool, list[float]] = {True: [], False: []}

    def run(self, warmup: bool, body: Callable[[Kernel], T]) -> T:
        env = offline_env(**fake_api_env(self.fake.url))
        if not warmup:
            env["AMPLIFIER_JUPYTER_WARMUP"] = "0"
        with tempfile.TemporaryDirectory(dir=self.folder) as cwd, Kernel(env=env, cwd=cwd) as k:
            self.load_times[warmup].append(printed_seconds(k, LOAD))
            return body(k)


def first_and_later(
    gap: float | None, pause: float
) -> Callable[[Kernel], tuple[float, float, float, float]]:
    """The first cell (``gap`` seconds after the load, or once the warm-up is done), the
    median of the three cells right after it, and of three cells each run ``pause``
    seconds after the one before (an idle kernel, as the first cell finds it)."""

    def body(kernel: Kernel) -> tuple[float, float, float, float]:
        warmed = wait_for_warmup(kernel) if gap is None else 0.0
        if gap is not None:
            time.sleep(gap)
        first = timed_cell(kernel, PROMPT)
        later = statistics.median(timed_cell(kernel, PROMPT) for _ in range(3))
        paused = []
        for _ in range(3):
            time.sleep(pause)
            paused.append(timed_cell(kernel, PROMPT))
        return first, later, statistics.median(paused), warmed

    return body


def user_cell(code: str, during: float) -> Callable[[Kernel], tuple[float, bool]]:
    """The cell's own time, run ``during`` seconds after the load; whether the warm-up
    was still going on when it ended."""

    def body(kernel: Kernel) -> tuple[float, bool]:
        time.sleep(during)
        seconds = printed_seconds(kernel, code)
        done = kernel.execute(WARMUP_DONE).stdout.split()[0] == "True"
        return seconds, not done

    return body


def kernels(count: int, gap: float, during: float) -> None:
    with FakeAnthropic() as fake, tempfile.TemporaryDirectory() as folder:
        pool = Kernels(fake, folder)
        rows = []
        for label, warmup, wait in (
            (f"first cell at +{gap:g} s, warm-up off", False, gap),
            (f"first cell at +{gap:g} s, warm-up on", True, gap),
            ("first cell once the warm-up is done", True, None),
        ):
            samples = [pool.run(warmup, first_and_later(wait, gap)) for _ in range(count)]
            first, later, paused, warmed = (
                statistics.median(s[i] for s in samples) for i in range(4)
            )
            extra = f"  (the warm-up took {warmed:.1f} s)" if wait is None else ""
            rows.append((label, first, later, paused, extra))
        print(
            f"\n{'first %%amplifier cell (kernels)':40} {'first ms':>9} {'later ms':>9} {'×':>6}"
            f" {f'+{gap:g} s ms':>9} {'×':>6}"
        )
        print(f"{'':40} {'':>9} {'':>9} {'':>6} {'(a later cell, idle before it)'}")
        for label, first, later, paused, extra in rows:
            print(
                f"{label:40} {first * 1000:9.0f} {later * 1000:9.0f} {first / later:6.2f}"
                f" {paused * 1000:9.0f} {first / paused:6.2f}{extra}"
            )

        heading = f"a user cell at +{during:g} s after %load_ext"
        print(f"\n{heading:40} {'off ms':>9} {'on ms':>9} {'×':>6}")
        for label, cell in USER_CELLS.items():
            code = TIMED.format(body=cell)
            off, on, going = [], [], 0
            for _ in range(count):  # alternating, so both see the same machine
                off.append(pool.run(False, user_cell(code, during)))
                seconds, still_going = pool.run(True, user_cell(code, during))
                on.append(seconds)
                going += still_going
            off_ms = statistics.median(s[0] for s in off) * 1000
            on_ms = statistics.median(on) * 1000
            print(
                f"{label:40} {off_ms:9.0f} {on_ms:9.0f} {on_ms / off_ms:6.2f}"
                f"  (the warm-up was going on after the cell in {going} of {count})"
            )

        off_ms = statistics.median(pool.load_times[False]) * 1000
        on_ms = statistics.median(pool.load_times[True]) * 1000
        print(f"{'%load_ext in a kernel':40} {off_ms:9.1f} {on_ms:9.1f} {on_ms / off_ms:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per import")
    parser.add_argument("--kernels", type=int, default=5, help="kernels of each kind")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds from load to first cell")
    parser.add_argument(
        "--during", type=float, default=0.5, help="seconds from load to the user cell"
    )
    parser.add_argument("--only", choices=("imports", "kernels"))
    args = parser.parse_args()
    if args.only != "kernels":
        imports(args.runs)
    if args.only != "imports":
        kernels(args.kernels, args.gap, args.during)


if __name__ == "__main__":
    main()
