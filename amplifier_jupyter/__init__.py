"""amplifier-jupyter: Microsoft Amplifier agent sessions inside Jupyter notebooks.

``%load_ext amplifier_jupyter`` registers ``%%amplifier`` (the cell's text is
the prompt) and ``%amplifier`` (configuration and control). The names below are
the Python API beside the magics; they load lazily, so loading the extension does
not import amplifier_core.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amplifier_jupyter.api import (
        add_listener,
        approval_policy,
        children,
        get_session,
        messages,
        remove_listener,
        resume,
        set_plan,
    )
    from amplifier_jupyter.errors import AmplifierUserError
    from amplifier_jupyter.session.plans import scripted_plan
    from amplifier_jupyter.ui.approval import JupyterApprovalSystem as ApprovalSystem
    from amplifier_jupyter.ui.display import JupyterDisplaySystem as DisplaySystem

    __version__: str

# Public name -> (module, attribute), imported on first use.
_LAZY = {
    "get_session": ("amplifier_jupyter.api", "get_session"),
    "set_plan": ("amplifier_jupyter.api", "set_plan"),
    "messages": ("amplifier_jupyter.api", "messages"),
    "add_listener": ("amplifier_jupyter.api", "add_listener"),
    "remove_listener": ("amplifier_jupyter.api", "remove_listener"),
    "children": ("amplifier_jupyter.api", "children"),
    "approval_policy": ("amplifier_jupyter.api", "approval_policy"),
    "resume": ("amplifier_jupyter.api", "resume"),
    "scripted_plan": ("amplifier_jupyter.session.plans", "scripted_plan"),
    "AmplifierUserError": ("amplifier_jupyter.errors", "AmplifierUserError"),
    # Amplifier's approval and display protocols for notebooks (the magic uses the same).
    "ApprovalSystem": ("amplifier_jupyter.ui.approval", "JupyterApprovalSystem"),
    "DisplaySystem": ("amplifier_jupyter.ui.display", "JupyterDisplaySystem"),
}

__all__ = [
    "AmplifierUserError",
    "ApprovalSystem",
    "DisplaySystem",
    "add_listener",
    "approval_policy",
    "children",
    "get_session",
    "load_ipython_extension",
    "messages",
    "remove_listener",
    "resume",
    "scripted_plan",
    "set_plan",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # One version, the package's (read from labextension/package.json at build time).
        from importlib import metadata

        version = metadata.version("amplifier-jupyter")
        globals()[name] = version
        return version
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'amplifier_jupyter' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext amplifier_jupyter``."""
    from amplifier_jupyter import bridge
    from amplifier_jupyter._ipython import display_history, kernel_status, warmup
    from amplifier_jupyter.cell.first_imports import loop_steps, thread_steps
    from amplifier_jupyter.loading import standins
    from amplifier_jupyter.magics import register
    from amplifier_jupyter.session.shutdown import install_shutdown_hook

    register(shell)
    standins.install(shell)
    display_history.install(shell)
    install_shutdown_hook(_end_sessions)
    # The lab extension opens the kernel–frontend bridge once this target is there.
    bridge.install(shell)
    # The first panel's subshell request must not show the running kernel as Idle.
    kernel_status.install(shell)
    # The first %%amplifier cell's imports, done between cells (AMPLIFIER_JUPYTER_WARMUP=0: off).
    warmup.start(shell, thread_steps(), loop_steps())
    if os.environ.get("AMPLIFIER_JUPYTER_APPROVAL", "").strip():
        _check_approval_setting()


def _check_approval_setting() -> None:
    """An administrator's default policy that does not parse: one line, at load."""
    from amplifier_jupyter.modules.hooks_notebook_approval import setting_problem
    from amplifier_jupyter.ui.view import complain

    line = setting_problem()
    if line is not None:
        complain(line)


async def _end_sessions() -> None:
    """What the shutdown hook awaits: every session of this kernel ended."""
    warming = sys.modules.get("amplifier_jupyter._ipython.warmup")
    if warming is not None:
        warming.stop(park=True)
    # Not imported: no session was ever started, and nothing is imported to find that out.
    kernel = sys.modules.get("amplifier_jupyter.session.kernel")
    if kernel is not None:
        await kernel.end_kernel_sessions()


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the built lab extension (``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "amplifier-jupyter"}]


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext amplifier_jupyter``."""
    from amplifier_jupyter import bridge
    from amplifier_jupyter._ipython import display_history, warmup
    from amplifier_jupyter.loading import standins
    from amplifier_jupyter.magics import unregister

    unregister(shell)
    standins.uninstall(shell)
    bridge.uninstall(shell)
    display_history.uninstall(shell)
    warmup.stop(shell)
