"""How long ``%load_ext amplifier_jupyter`` takes, side by side with the imports it avoids.

Each case runs in a fresh interpreter (so nothing is cached in ``sys.modules``),
``--runs`` times; the table shows the median and the ratio to the extension's
load. Run: ``python benchmarks/bench_load.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

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


def measure(code: str, runs: int) -> float:
    """Median seconds over ``runs`` fresh interpreters."""
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    results = {name: measure(code, runs) for name, code in CASES.items()}
    base = results["%load_ext amplifier_jupyter"]
    print(f"{'case':32} {'median ms':>10} {'× load_ext':>11}")
    for name, seconds in results.items():
        print(f"{name:32} {seconds * 1000:10.1f} {seconds / base:11.1f}")


if __name__ == "__main__":
    main()
