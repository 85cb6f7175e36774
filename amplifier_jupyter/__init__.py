"""amplifier-jupyter: Microsoft Amplifier agent sessions inside Jupyter notebooks.

``%load_ext amplifier_jupyter`` registers ``%%amplifier`` (the cell's text is
the prompt) and ``%amplifier`` (configuration and control). Public names load
lazily, so loading the extension does not import amplifier_core.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = [
    "ApprovalSystem",
    "DisplaySystem",
    "get_kernel_session",
    "get_session",
    "load_ipython_extension",
    "unload_ipython_extension",
]

_LAZY = {
    # Amplifier's approval and display protocols for notebooks (the magic uses the same).
    "ApprovalSystem": ("amplifier_jupyter.ui.approval", "JupyterApprovalSystem"),
    "DisplaySystem": ("amplifier_jupyter.ui.display", "JupyterDisplaySystem"),
    "get_session": ("amplifier_jupyter.api", "get_session"),
    # Not "kernel_session": that is the submodule's name.
    "get_kernel_session": ("amplifier_jupyter.session.kernel", "kernel_session"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'amplifier_jupyter' has no attribute {name!r}")


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext amplifier_jupyter``."""
    from amplifier_jupyter.loading import standins
    from amplifier_jupyter.magics import register

    register(shell)
    standins.install()


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the built lab extension (``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "amplifier-jupyter"}]


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext amplifier_jupyter``."""
    from amplifier_jupyter.magics import unregister

    unregister(shell)
