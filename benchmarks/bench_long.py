"""A long session: does turn 1,000 of one kernel cost what turn 10 did?

What it measures, in one real kernel (``tests/kernel_harness.py``) with the
offline scripted provider (the model's time is zero, so what grows is ours: the
transcript, redaction, the context's copies), timed from the client (execute
request to idle), ``%%amplifier`` cells one after another:

- the median time of the cells around turn 10 (turns 6-15) and around the last
  turn (the last 10), and their ratio; beside it the kernel process's CPU time per
  turn in the same windows (less disturbed by a busy machine than the clock);
- the kernel's resident memory (``VmRSS``) after the first cell and after the last;
- the transcript's files (``messages.jsonl``, ``events.jsonl``, ``metadata.json``)
  and their sizes;
- in a second kernel, one answer of ``--words`` words (default 10,000) streamed a
  word at a time: the size and line count of its ``events.jsonl``.

Run: ``python benchmarks/bench_long.py`` (1,000 turns: several minutes);
``--turns 200`` for a shorter run; ``--transcripts off`` to see the cost with
transcripts off. The ratio is reported, never asserted (the machine varies).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from kernel_harness import Kernel, offline_env  # noqa: E402

SETUP = """\
%load_ext amplifier_jupyter
from amplifier_jupyter.session.plans import scripted_plan
plan = scripted_plan({script!r})
plan["tools"] = []
%amplifier config plan
%amplifier transcripts {transcripts}
"""
# A 400×300 PNG (a gradient, so it does not compress to nothing), made without Pillow.
IMAGE = """\
import struct, zlib
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
_rows = b"".join(b"\\0" + bytes((x * y + c * 85) % 251 for x in range(400) for c in range(3))
                 for y in range(300))
img = (b"\\x89PNG\\r\\n\\x1a\\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 400, 300, 8, 2, 0, 0, 0))
       + _chunk(b"IDAT", zlib.compress(_rows)) + _chunk(b"IEND", b""))
"""
EARLY = range(6, 16)  # the turns (1-based) whose median is "turn ~10"
LATE = 10  # how many of the last turns make "turn ~N"


def rss_mb(kernel: Kernel) -> float:
    """The kernel process's resident memory, read from the client's side."""
    pid = kernel.manager.provisioner.process.pid
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(kernel: Kernel) -> float:
    """The kernel process's CPU time so far (user and system, all its threads)."""
    pid = kernel.manager.provisioner.process.pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def transcript_files(folder: Path) -> dict[str, int]:
    """Every transcript file under ``folder``'s ``.amplifier/sessions``, by name, in bytes."""
    sizes: dict[str, int] = {}
    for path in sorted((folder / ".amplifier" / "sessions").glob("*/*")):
        sizes[path.name] = sizes.get(path.name, 0) + path.stat().st_size
    return sizes


def lines_of(folder: Path, name: str) -> int:
    return sum(
        len(path.read_bytes().splitlines())
        for path in (folder / ".amplifier" / "sessions").glob(f"*/{name}")
    )


def long_session(turns: int, transcripts: str, image_every: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = offline_env(AMPLIFIER_JUPYTER_TRANSCRIPTS=transcripts)
        with Kernel(env=env, cwd=folder) as kernel:
            assert kernel.execute(SETUP.format(script=[], transcripts=transcripts)).ok
            if image_every:
                assert kernel.execute(IMAGE).ok
            times: list[float] = []
            cpu: list[float] = [cpu_seconds(kernel)]
            rss_first = 0.0
            for turn in range(1, turns + 1):
                started = time.perf_counter()
                if image_every and turn % image_every == 0:
                    cell = f"%%amplifier --vars img\nTurn {turn}: what is in this image?"
                else:
                    cell = f"%%amplifier\nTurn {turn}: what is 2 + 2?"
                result = kernel.execute(cell)
                times.append(time.perf_counter() - started)
                cpu.append(cpu_seconds(kernel))
                assert result.ok, result.error
                if turn == 1:
                    rss_first = rss_mb(kernel)
                if turn % 100 == 0:
                    print(f"  turn {turn}: {times[-1] * 1000:.0f} ms", file=sys.stderr)
            rss_last = rss_mb(kernel)
        early = statistics.median(times[EARLY.start - 1 : EARLY.stop - 1])
        late = statistics.median(times[-LATE:])
        # CPU per turn, averaged over each window (clock ticks are too coarse for one turn).
        early_cpu = (cpu[EARLY.stop - 1] - cpu[EARLY.start - 1]) / len(EARLY)
        late_cpu = (cpu[-1] - cpu[-1 - LATE]) / LATE
        rows = {
            f"turn ~10 (turns {EARLY.start}-{EARLY.stop - 1}), median ms": f"{early * 1000:.1f}",
            f"turn ~{turns} (the last {LATE}), median ms": f"{late * 1000:.1f}",
            "ratio": f"{late / early:.2f}",
            "kernel CPU per turn, ~10 / ~N, ms": f"{early_cpu * 1000:.0f} / {late_cpu * 1000:.0f}",
            "kernel CPU ratio": f"{late_cpu / early_cpu:.2f}" if early_cpu else "n/a",
            f"RSS after turn 1 / turn {turns}, MB": f"{rss_first:.0f} / {rss_last:.0f}",
        }
        png: dict[str, bytes] = {}
        exec(IMAGE, png)  # the same bytes as the kernel's, for their size
        kib = len(png["img"]) / 1024
        images = f", a 400×300 PNG ({kib:.0f} KiB) every {image_every} turns" if image_every else ""
        print(f"{turns} turns, transcripts {transcripts}{images}")
        for label, value in rows.items():
            print(f"  {label:40} {value:>12}")
        for name, size in transcript_files(Path(folder)).items():
            print(f"  {name + ', KiB':40} {size / 1024:12.1f}")


def streamed_answer(words: int) -> None:
    answer = " ".join(f"word{i % 97}" for i in range(words))
    with tempfile.TemporaryDirectory() as folder:
        env = offline_env(AMPLIFIER_JUPYTER_TRANSCRIPTS="on")
        with Kernel(env=env, cwd=folder) as kernel:
            assert kernel.execute(SETUP.format(script=[answer], transcripts="on")).ok
            started = time.perf_counter()
            result = kernel.execute("%%amplifier\nA long answer, please.", timeout=600)
            took = time.perf_counter() - started
            assert result.ok, result.error
            assert kernel.execute("%amplifier reset").ok  # session:end: every line written
        sizes = transcript_files(Path(folder))
        lines = lines_of(Path(folder), "events.jsonl")
        print(f"one streamed answer of {words:,} words ({len(answer):,} characters)")
        rows = {
            "cell, s": f"{took:.1f}",
            "events.jsonl, KiB": f"{sizes['events.jsonl'] / 1024:.1f}",
            "events.jsonl, lines": f"{lines}",
            "messages.jsonl, KiB": f"{sizes['messages.jsonl'] / 1024:.1f}",
        }
        for label, value in rows.items():
            print(f"  {label:40} {value:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000, help="turns of the long session")
    parser.add_argument("--words", type=int, default=10_000, help="words of the streamed answer")
    parser.add_argument("--transcripts", choices=("on", "off"), default="on")
    parser.add_argument(
        "--image-every", type=int, default=0, help="send a 400×300 PNG every N turns (0: none)"
    )
    args = parser.parse_args()
    if args.turns < EARLY.stop - 1 + LATE:
        parser.error(f"--turns must be at least {EARLY.stop - 1 + LATE}")
    long_session(args.turns, args.transcripts, args.image_every)
    streamed_answer(args.words)


if __name__ == "__main__":
    main()
