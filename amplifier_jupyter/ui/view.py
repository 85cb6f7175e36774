"""The view protocol: how a run shows itself in a cell.

A view receives the run's events as they happen and its outcome. The cell
runner picks one (a widget panel in a frontend that renders widgets, plain
text elsewhere); the kernel session only forwards events. During the run the
view is also the ``host`` of the kernel's approval and display systems: a
view with ``show_approval`` / ``show_message`` shows questions and hook
messages itself (see :mod:`amplifier_jupyter.ui.approval`).
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

from amplifier_jupyter.redaction import redact_text


class RunView(Protocol):
    """Everything a cell shows while and after an agent runs.

    After ``finish``, ``answer_shown`` says whether the view showed the
    answer itself (else the runner displays it as Markdown) and ``stopped``
    whether the user stopped the run.
    """

    answer_shown: bool

    @property
    def stopped(self) -> bool:
        """Whether the user stopped the run."""

    def start(self, prompt: str) -> None:
        """The run begins (show the panel, start the clock)."""

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        """One kernel or module event, as it happens."""

    def notice(self, message: str) -> None:
        """A one-line note for the user (a built-in standing in, a module that failed)."""

    def context_sent(self, summary: str) -> None:
        """What notebook context went with the prompt, e.g.
        ``cells 3–5 · df (DataFrame 1000×4) · last error ZeroDivisionError``."""

    def finish(self, answer: str) -> None:
        """The run ended with this answer."""

    def fail(self, message: str) -> None:
        """The run ended with a one-line error."""


def shown(text: str) -> str:
    """What we may show of ``text`` (it is saved with the notebook): its secrets
    redacted, as the transcripts redact them."""
    return redact_text(text)


def show(text: str) -> None:
    """Print text of ours (a table, a plan) with its secrets redacted."""
    print(shown(text), flush=True)


def say(message: str) -> None:
    """Print one user-facing line of ours, marked as coming from amplifier."""
    show(f"amplifier: {message}")


def complain(message: str) -> None:
    """Print one user-facing error line to the cell's stderr."""
    print(shown(f"amplifier: {message}"), file=sys.stderr, flush=True)
