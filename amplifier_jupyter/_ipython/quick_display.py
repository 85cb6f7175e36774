"""A raw display of ours without ipykernel's wait for streams that have nothing to send.

ipykernel 7.4's display publisher flushes ``sys.stdout`` and ``sys.stderr`` before
every display, so that what was printed comes first; each flush schedules the
send on the IOPub thread and waits for it, two round trips to that thread per
stream, whether or not anything was written (docs/design.md, fact 38: two
displays cost 2.2 ms over an empty cell, 0.9 ms without the flushes). An
``OutStream`` marks what it holds: a write sets ``_flush_pending`` (or, in a
child process, ``_subprocess_flush_pending``) before it returns, and the IOPub
thread clears it when it takes the text to send. :func:`display_raw` flushes a
stream only when it is marked, or is not such a stream, or echoes elsewhere;
the display message is queued on the same IOPub thread after any send under way,
so the order of what this thread printed and displayed is kept. Only the
extension's own displays (the summary and the answer) go this way.
"""

from __future__ import annotations

import sys
from typing import Any

from amplifier_jupyter._ipython.shell import current_shell


def _has_pending(stream: Any) -> bool:
    """Whether flushing ``stream`` could send anything (True when it cannot be told)."""
    pending = getattr(stream, "_flush_pending", None)
    child = getattr(stream, "_subprocess_flush_pending", None)
    if not isinstance(pending, bool) or not isinstance(child, bool):
        return True
    return pending or child or getattr(stream, "echo", None) is not None


def _flush_pending_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if _has_pending(stream):
            stream.flush()


def display_raw(bundle: dict[str, Any], **kwargs: Any) -> Any:
    """``IPython.display.display(bundle, raw=True, **kwargs)``, the streams flushed only
    when they hold something (the module docstring)."""
    from IPython.display import display

    shell = current_shell()
    publisher: Any = getattr(shell, "display_pub", None)
    flush = getattr(publisher, "_flush_streams", None)
    if flush is None or "_flush_streams" in getattr(publisher, "__dict__", {}):
        return display(bundle, raw=True, **kwargs)  # not ipykernel's, or changed by another
    publisher._flush_streams = _flush_pending_streams
    try:
        return display(bundle, raw=True, **kwargs)
    finally:
        del publisher._flush_streams
