"""User code run while context is gathered: whatever it raises becomes words, except a stop.

A summary calls the user's ``__repr__``, ``__len__``, ``__str__``, properties
and items. Any of them may raise anything, ``KeyboardInterrupt`` and other
``BaseException`` subclasses included; a summary says so instead
("could not be summarized: …") and the gathering goes on. The one exception
that is let through is :class:`ContextInterrupted`, which the host raises from
its interrupt handler while it gathers (see
``amplifier_jupyter._ipython.interrupts.context_interruptible``): the user
asked to stop, not the user's code.
"""

from __future__ import annotations

from typing import Any


class ContextInterrupted(KeyboardInterrupt):
    """The user interrupted the kernel while the notebook context was gathered."""


def could_not_summarize(value: Any, error: BaseException) -> str:
    """``<Slow: could not be summarized: KeyboardInterrupt>``; only a stop raises."""
    kind = type(value).__name__
    name = type(error).__name__
    try:
        detail = str(error)
    except ContextInterrupted:
        raise
    except BaseException:  # an exception whose __str__ raises
        detail = ""
    detail = " ".join(detail.split())[:120]
    return f"<{kind}: could not be summarized: {name}{': ' + detail if detail else ''}>"
