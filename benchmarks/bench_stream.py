"""A long streamed answer: ``%%amplifier`` vs the raw SDK, and vs a naive per-delta widget.

One kernel, one fake Messages API (``tests/fake_anthropic.py``, in a process of
its own) streaming the same ``--words``-word answer, a ``text_delta`` of about a
word every ``--delay`` seconds, to three cells, side by side:

* the raw SDK: ``anthropic.AsyncAnthropic().messages.stream(...)``, its text shown
  as Markdown through a display handle updated at most 20 times a second (the
  anchor);
* ``%%amplifier`` with the default plan (provider-claude, loop-notebook,
  context-notebook, the notebook tools), transcripts on, the panel shown;
* a naive widget: the raw SDK stream, an ``ipywidgets.HTML`` whose value is set to
  the whole text so far on every delta.

For each: the time from the execute request to the last character arriving
(client side), the kernel's CPU time for the cell, the bytes of comm message
content (comm_open, comm_msg, comm_close: their JSON content, as the frontend
receives it) and of display messages against the answer's size, and the visible
updates of the answer per second while it streamed.
Run: ``python benchmarks/bench_stream.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

TESTS = Path(__file__).parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from kernel_harness import Kernel, fake_api_env, offline_env  # noqa: E402

SETUP = """\
import anthropic, ipywidgets, resource, time
from IPython.display import Markdown, display
def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
_client = anthropic.AsyncAnthropic()
_ask = dict(model="claude-sonnet-5-5", max_tokens=32000,
            messages=[{"role": "user", "content": "Talk."}])
"""

RAW = """\
_c = _cpu()
_handle = display(Markdown(""), display_id=True)
_parts, _shown = [], 0.0
async with _client.messages.stream(**_ask) as _stream:
    async for _text in _stream.text_stream:
        _parts.append(_text)
        if time.monotonic() - _shown >= 0.05:  # at most 20 updates a second
            _handle.update(Markdown("".join(_parts)))
            _shown = time.monotonic()
_handle.update(Markdown("".join(_parts)))
_cpu_used = _cpu() - _c
"""

NAIVE = """\
_c = _cpu()
_view = ipywidgets.HTML("")
display(_view)
_parts = []
async with _client.messages.stream(**_ask) as _stream:
    async for _text in _stream.text_stream:
        _parts.append(_text)
        _view.value = "".join(_parts)
_cpu_used = _cpu() - _c
"""

PANEL = "%%amplifier\nTalk."


class Fake:
    """The fake Messages API in a process of its own (its work is not the kernel's or ours)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(TESTS / "fake_anthropic.py"), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("FAKE_ANTHROPIC_URL="):
            raise RuntimeError(f"the fake did not start: {line!r}")
        self.url = line.strip().split("=", 1)[1]

    def enqueue(self, *replies: Any) -> None:
        request = urllib.request.Request(
            self.url + "/_fake/replies",
            data=json.dumps(list(replies)).encode(),
            headers={"content-type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def sizes(msg: dict[str, Any]) -> tuple[int, int]:
    """(comm bytes, display bytes) of one iopub message."""
    kind = msg["msg_type"]
    if kind.startswith("comm_"):
        size = len(json.dumps(msg["content"], ensure_ascii=False).encode())
        return size + sum(len(b) for b in msg.get("buffers") or []), 0
    if kind in ("display_data", "update_display_data", "execute_result"):
        return 0, len(json.dumps(msg["content"], ensure_ascii=False).encode())
    return 0, 0


def measure(kernel: Kernel, case: str, code: str, text: str) -> dict[str, float]:
    """One cell: seconds to the last character, kernel CPU seconds, bytes, updates a second."""
    comm = display = 0
    updates: list[float] = []
    last = 0.0
    answer = ""
    started = time.perf_counter()

    def on_message(msg: dict[str, Any]) -> None:
        nonlocal comm, display, last, answer
        more_comm, more_display = sizes(msg)
        comm += more_comm
        display += more_display
        kind, content = msg["msg_type"], msg["content"]
        now = time.perf_counter()
        if case == "raw" and kind in ("display_data", "update_display_data"):
            shown = content.get("data", {}).get("text/markdown")
            if shown:
                updates.append(now)
                if shown == text and not last:
                    last = now
        elif kind == "comm_msg":
            data = content.get("data", {})
            if case == "naive" and data.get("method") == "update":
                value = (data.get("state") or {}).get("value")
                if value is not None:
                    updates.append(now)
                    if value == text:
                        last = now
            custom = data.get("content") if data.get("method") == "custom" else None
            if case == "panel" and isinstance(custom, dict) and custom.get("type") == "answer":
                updates.append(now)
                answer = custom["text"] if custom.get("reset") else answer + custom["text"]
                if answer == text and not last:
                    last = now

    if case == "panel":
        before = float(kernel.execute("print(_cpu())").stdout)
    result = kernel.execute(code, timeout=900, on_message=on_message, every_message=True)
    assert result.ok, result.error
    if case == "panel":
        cpu = float(kernel.execute("print(_cpu())").stdout) - before
    else:
        cpu = float(kernel.execute("print(_cpu_used)").stdout)
    assert last, f"{case}: the last character never arrived"
    span = updates[-1] - updates[0] if len(updates) > 1 else 0.0
    rate = (len(updates) - 1) / span if span else 0.0
    return {"seconds": last - started, "cpu": cpu, "comm": comm, "display": display, "rate": rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=0.0005)
    parser.add_argument("--naive", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    text = " ".join(f"word{i}" for i in range(args.words))
    size = len(text.encode())
    chunk = math.ceil(len(text) / args.words)  # about a word per delta
    reply = {"text": text, "chunk_size": chunk, "chunk_delay": args.delay}
    fake = Fake()
    cases = [("raw", "raw SDK + Markdown (≤ 20 Hz)", RAW), ("panel", "%%amplifier", PANEL)]
    if args.naive:
        cases.append(("naive", "naive widget (whole text/delta)", NAIVE))
    try:
        env = offline_env(**fake_api_env(fake.url), AMPLIFIER_JUPYTER_TRANSCRIPTS="on")
        with tempfile.TemporaryDirectory() as cwd, Kernel(env=env, cwd=cwd) as kernel:
            assert kernel.execute("%load_ext amplifier_jupyter").ok
            assert kernel.execute(SETUP).ok
            fake.enqueue("Warm.", "Warm.")  # imports and the session start, outside the runs
            assert kernel.execute(RAW).ok
            assert kernel.execute(PANEL).ok
            rows = {}
            for case, _, code in cases:
                fake.enqueue(reply)
                rows[case] = measure(kernel, case, code, text)
    finally:
        fake.stop()
    print(
        f"{args.words:,} words, {size:,} bytes of answer, "
        f"a {chunk}-character delta every {args.delay * 1000} ms"
    )
    print(
        f"{'case':34} {'last char s':>11} {'× raw':>6} {'kernel CPU s':>12} {'× raw':>6}"
        f" {'comm bytes':>12} {'× answer':>8} {'display bytes':>13} {'updates/s':>9}"
    )
    raw = rows["raw"]
    for case, name, _ in cases:
        row = rows[case]
        print(
            f"{name:34} {row['seconds']:11.2f} {row['seconds'] / raw['seconds']:6.2f}"
            f" {row['cpu']:12.2f} {row['cpu'] / raw['cpu']:6.2f} {row['comm']:12,.0f}"
            f" {row['comm'] / size:8.2f} {row['display']:13,.0f} {row['rate']:9.1f}"
        )


if __name__ == "__main__":
    main()
