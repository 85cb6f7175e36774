"""A long streamed answer through the panel vs a naive widget that re-sends it per delta.

One kernel, the offline scripted provider streaming ``--words`` words (one delta
each, ``--delay`` seconds apart), two cells, side by side:

* the panel (``%%amplifier``): appended chunks, at most 20 a second;
* a naive widget: an ``ipywidgets.HTML`` whose value is set to the whole text
  so far on every delta (a plain session, a hook on ``content_block:delta``).

For each: the time from the execute request to the last character arriving
(client side), the kernel's CPU time for the cell, and the bytes of comm
message content sent to the frontend (comm_open, comm_msg, comm_close: their
JSON content, as the frontend receives it) against the answer's size.
Run: ``python benchmarks/bench_stream.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from kernel_harness import Kernel, offline_env  # noqa: E402

SETUP = """\
from amplifier_core import AmplifierSession
from amplifier_jupyter.session.plans import scripted_plan
import ipywidgets, resource
def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
"""

PANEL = """\
_plan = scripted_plan([{text!r}, {text!r}])  # a warm-up cell, then the measured one
_plan["tools"] = []
_plan["providers"][0]["config"]["chunk_delay"] = {delay}
%amplifier config _plan
"""

NAIVE = """\
_plan = scripted_plan([{text!r}])
_plan["tools"] = []
_plan["providers"][0]["config"]["chunk_delay"] = {delay}
_naive = AmplifierSession(config=_plan)
await _naive.initialize()
_view = ipywidgets.HTML("")
_parts = []
async def _on_delta(event, data):
    _parts.append(data.get("delta") or "")
    _view.value = "".join(_parts)
    from amplifier_core import HookResult
    return HookResult(action="continue")
_naive.coordinator.hooks.register("content_block:delta", _on_delta, name="naive-view")
"""

RUN_NAIVE = "display(_view)\n_c = _cpu()\nawait _naive.execute('Talk.')\n_cpu_used = _cpu() - _c"
RUN_PANEL = "%%amplifier\nTalk."


def comm_bytes(msg: dict[str, Any]) -> int:
    if not msg["msg_type"].startswith("comm_"):
        return 0
    size = len(json.dumps(msg["content"], ensure_ascii=False).encode())
    return size + sum(len(b) for b in msg.get("buffers") or [])


def measure(kernel: Kernel, code: str, text: str, naive: bool) -> dict[str, float]:
    """One cell: seconds to the last character, kernel CPU seconds, comm bytes."""
    sent = 0
    last = 0.0
    answer = ""
    started = time.perf_counter()

    def on_message(msg: dict[str, Any]) -> None:
        nonlocal sent, last, answer
        sent += comm_bytes(msg)
        content = msg["content"]
        if msg["msg_type"] == "comm_msg":
            data = content.get("data", {})
            state = data.get("state") or {}
            if naive and data.get("method") == "update" and state.get("value") == text:
                last = time.perf_counter()
            custom = data.get("content") if data.get("method") == "custom" else None
            if not naive and isinstance(custom, dict) and custom.get("type") == "answer":
                answer = custom["text"] if custom.get("reset") else answer + custom["text"]
                if answer == text:
                    last = time.perf_counter()

    if naive:
        result = kernel.execute(code, timeout=600, on_message=on_message, every_message=True)
        cpu = float(kernel.execute("print(_cpu_used)").stdout)
    else:
        before = float(kernel.execute("print(_cpu())").stdout)
        result = kernel.execute(code, timeout=600, on_message=on_message, every_message=True)
        cpu = float(kernel.execute("print(_cpu())").stdout) - before
    assert result.ok, result.error
    assert last, "the last character never arrived"
    return {"seconds": last - started, "cpu": cpu, "bytes": sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=0.0005)
    args = parser.parse_args()
    text = " ".join(f"word{i}" for i in range(args.words))
    size = len(text.encode())
    with Kernel(env=offline_env()) as kernel:
        assert kernel.execute("%load_ext amplifier_jupyter").ok
        assert kernel.execute(SETUP).ok
        assert kernel.execute(PANEL.format(text=text, delay=args.delay)).ok
        assert kernel.execute("%%amplifier\nwarm up").ok  # the session starts, imports load
        panel = measure(kernel, RUN_PANEL, text, naive=False)
        assert kernel.execute(NAIVE.format(text=text, delay=args.delay)).ok
        naive = measure(kernel, RUN_NAIVE, text, naive=True)
    print(f"{args.words:,} words, {size:,} bytes of answer, a delta every {args.delay * 1000} ms")
    print(
        f"{'case':34} {'last char s':>11} {'kernel CPU s':>12} {'comm bytes':>13} {'× answer':>9}"
    )
    for name, row in (("panel (appended chunks)", panel), ("naive widget (whole text)", naive)):
        print(
            f"{name:34} {row['seconds']:11.2f} {row['cpu']:12.2f} {row['bytes']:13,.0f}"
            f" {row['bytes'] / size:9.2f}"
        )


if __name__ == "__main__":
    main()
