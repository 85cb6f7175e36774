"""The IPython shell this code runs in, if any, and its user namespace."""

from __future__ import annotations

from typing import Any


def current_shell() -> Any:
    """The running IPython shell (a kernel's or a terminal's), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def user_namespace() -> dict[str, Any]:
    """The user's variables (empty outside IPython)."""
    shell = current_shell()
    return shell.user_ns if shell is not None else {}
