"""Whether this frontend can show widgets: a kernel with comms, not a terminal."""

from __future__ import annotations

from amplifier_jupyter._ipython.shell import current_shell


def in_ipython() -> bool:
    """Whether this process runs an IPython shell (a kernel or a terminal)."""
    return current_shell() is not None


def widgets_available() -> bool:
    """True in a Jupyter kernel (widgets travel as comm messages); False in terminal IPython.

    A kernel cannot tell whether a frontend will render the widgets (nbclient
    runs do not), so a kernel counts as able to: the panel's widgets then sit
    unrendered and the answer is also shown as Markdown.
    """
    shell = current_shell()
    if shell is None or type(shell).__name__ == "TerminalInteractiveShell":
        return False
    return getattr(shell, "kernel", None) is not None
