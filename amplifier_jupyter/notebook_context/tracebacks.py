"""Exceptions as the text a reader (or a model) needs: the user's frames, bounded."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT, cut_middle, strip_ansi

# Frames of the machinery that ran the cell say nothing about the user's bug.
_MACHINERY = (
    f"{os.sep}IPython{os.sep}core{os.sep}",
    f"{os.sep}ipykernel{os.sep}",
    f"{os.sep}amplifier_jupyter{os.sep}modules{os.sep}tool_python{os.sep}",
)


def format_exception(error: BaseException, limit: int = SUMMARY_LIMIT) -> str:
    """The traceback of ``error`` without the leading kernel frames, cut to ``limit``."""
    report = traceback.TracebackException.from_exception(error)
    frames = list(report.stack)
    while frames and any(part in frames[0].filename for part in _MACHINERY):
        frames.pop(0)
    for frame in frames:
        frame.filename = _cell_name(frame.filename)
    report.stack = traceback.StackSummary.from_list(frames)
    return cut_middle("".join(report.format()).rstrip(), limit)


def _cell_name(filename: str) -> str:
    """``Cell In[7]`` for a cell's code, as IPython shows it, else the filename unchanged.

    ipykernel compiles each cell under a temporary file name (with the kernel's pid in it)
    that tells a reader nothing; the execution count does.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return filename
    compiler = getattr(get_ipython(), "compile", None)
    name = getattr(compiler, "format_code_name", lambda _: None)(filename)
    return " ".join(name) if name else filename


def format_stored(record: dict[str, Any], limit: int = SUMMARY_LIMIT) -> str:
    """An error IPython stored for a cell (``{ename, evalue, traceback}``), as plain text."""
    lines = record.get("traceback") or []
    text = strip_ansi("\n".join(str(line) for line in lines))
    # IPython's rule of dashes above the error name is decoration.
    text = "\n".join(line for line in text.splitlines() if line.strip("-") or not line).strip()
    if not text:
        text = f"{record.get('ename', 'Error')}: {record.get('evalue', '')}"
    return cut_middle(text, limit)


def last_exception() -> BaseException | None:
    """The exception the kernel showed last (``sys.last_exc`` / ``sys.last_value``)."""
    return getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
