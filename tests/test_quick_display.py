"""The extension's own displays (``_ipython/quick_display.py``) skip ipykernel's flush of
streams that hold nothing, and keep what was printed before them in order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_harness import Kernel, offline_env

COUNT_FLUSHES = """\
import sys
from amplifier_jupyter._ipython.quick_display import display_raw
_flushes = []
for _stream in (sys.stdout, sys.stderr):
    _stream.flush = (lambda f, name: lambda: (_flushes.append(name), f())[1])(
        _stream.flush, _stream.name
    )
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    folder: Path = tmp_path_factory.mktemp("quick_display")
    with Kernel(env=offline_env(), cwd=str(folder)) as kernel:
        assert kernel.execute(COUNT_FLUSHES).ok
        yield kernel


def _kinds(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        m["msg_type"] if m["msg_type"] != "stream" else f"stream {m['content']['text'].strip()}"
        for m in result.messages
        if m["msg_type"] in ("stream", "display_data")
    ]


def test_nothing_printed_no_flush_and_the_display_arrives(kernel: Kernel) -> None:
    result = kernel.execute(
        "_flushes.clear()\ndisplay_raw({'text/plain': 'one'})\n_seen = list(_flushes)"
    )
    assert result.ok, result.error
    assert _kinds(result) == ["display_data"]
    assert kernel.execute("print(_seen)").stdout.strip() == "[]"


def test_what_was_printed_is_flushed_first(kernel: Kernel) -> None:
    result = kernel.execute(
        "_flushes.clear()\n"
        "print('before')\n"
        "display_raw({'text/plain': 'one'})\n"
        "print('after', file=sys.stderr)\n"
        "display_raw({'text/plain': 'two'})\n"
        "_seen = list(_flushes)"
    )
    assert result.ok, result.error
    assert _kinds(result) == ["stream before", "display_data", "stream after", "display_data"]
    assert kernel.execute("print(_seen)").stdout.strip() == "['stdout', 'stderr']"


def test_a_plain_display_still_flushes_both(kernel: Kernel) -> None:
    result = kernel.execute(
        "_flushes.clear()\ndisplay({'text/plain': 'x'}, raw=True)\n_seen = list(_flushes)"
    )
    assert result.ok, result.error
    assert kernel.execute("print(_seen)").stdout.strip() == "['stdout', 'stderr']"
