"""``JupyterDisplaySystem``: Amplifier's display protocol, shown in the notebook.

``show_message(message, level, source)`` is how a hook's ``user_message``
reaches the user (the kernel calls it synchronously, on the loop's thread).
During a ``%%amplifier`` run the message joins the panel's timeline (the
magic attaches the run's view as ``host``); otherwise it is shown as one
quiet line in the running cell (HTML, or text in a terminal).
"""

from __future__ import annotations

import sys
from typing import Protocol

from amplifier_jupyter.ui.environment import widgets_available


class MessageHost(Protocol):
    """Something that can show a message (a run's panel or text view)."""

    def show_message(self, message: str, level: str = "info", source: str = "hook") -> None:
        """Show one message."""


class JupyterDisplaySystem:
    """Amplifier's ``DisplaySystem`` for notebooks (see the module docstring)."""

    def __init__(self) -> None:
        self.host: MessageHost | None = None
        self.shown: list[tuple[str, str, str]] = []

    def show_message(self, message: str, level: str = "info", source: str = "hook") -> None:
        """Show a message from a hook (``level``: info, warning or error)."""
        self.shown.append((message, level, source))
        del self.shown[:-100]
        host = self.host
        if host is not None and hasattr(host, "show_message"):
            host.show_message(message, level, source)
        elif widgets_available():
            _display_line(message, level, source)
        else:
            stream = sys.stderr if level in ("warning", "error") else sys.stdout
            print(f"amplifier [{level}] {source}: {message}", file=stream, flush=True)


def _display_line(message: str, level: str, source: str) -> None:
    """One quiet line of HTML (with its text form): an output, not a widget."""
    from IPython.display import display

    from amplifier_jupyter.ui.style import LEVEL_COLOURS, MUTED, span

    colour = LEVEL_COLOURS.get({"warn": "warning"}.get(level, level), MUTED)
    line = f'<div class="amplifier-message">{span(f"{source}: {message}", colour)}</div>'
    display({"text/html": line, "text/plain": f"{source}: {message}"}, raw=True)
