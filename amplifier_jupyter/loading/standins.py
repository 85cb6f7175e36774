"""Stand-ins so a plain ``AmplifierSession`` in a cell finds the upstream module ids.

With no source resolver, amplifier-core looks a module id up as an entry
point, then imports ``amplifier_module_<id>`` (docs/design.md, fact 1). The folder
``_standins`` holds packages with those names for ``loop-basic``,
``loop-streaming``, ``context-simple`` and ``provider-anthropic`` that mount
the built-in equivalents. ``%load_ext`` appends the folder to the *end* of
``sys.path`` and registers no entry point, so Amplifier's own modules, when
installed, always win and nothing collides with them.

Python keeps a module it imported once: after the real module is installed in
a running kernel, an import of ``amplifier_module_<id>`` would still hand out the
stand-in. So a stand-in that an installed module now shadows is forgotten
(dropped from ``sys.modules``) before each cell and before the kernel's sessions
load their modules, and the next session imports the real one.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

# Amplifier's upstream module ids that a built-in module stands in for.
BUILTIN_EQUIVALENTS = {
    "loop-basic": "loop-notebook",
    "loop-streaming": "loop-notebook",
    "context-simple": "context-notebook",
    "provider-anthropic": "provider-claude",
}
FOLDER = Path(__file__).parent.parent / "_standins"
_announced: set[str] = set()

Mount = Callable[[Any, dict[str, Any] | None], Awaitable[Any]]


# The stand-ins' package names (amplifier_module_loop_basic, ...).
PACKAGES = tuple(sorted(p.name for p in FOLDER.iterdir() if p.name.startswith("amplifier_module_")))


def install(shell: Any = None) -> None:
    """Put the stand-ins on ``sys.path``, after everything already there; with a shell,
    forget shadowed stand-ins before each cell."""
    path = str(FOLDER)
    if path not in sys.path:
        sys.path.append(path)
    if shell is not None:
        _on_pre_run_cell(shell, register=True)


def uninstall(shell: Any) -> None:
    """Undo :func:`install`'s cell hook (the path stays: imported stand-ins may need it)."""
    _on_pre_run_cell(shell, register=False)


def _on_pre_run_cell(shell: Any, *, register: bool) -> None:
    callbacks = shell.events.callbacks.get("pre_run_cell", [])
    if register and forget_shadowed_before_cell not in callbacks:
        shell.events.register("pre_run_cell", forget_shadowed_before_cell)
    elif not register and forget_shadowed_before_cell in callbacks:
        shell.events.unregister("pre_run_cell", forget_shadowed_before_cell)


def forget_shadowed_before_cell(info: Any = None) -> None:
    """IPython's ``pre_run_cell`` callback: :func:`forget_shadowed`, quietly."""
    forget_shadowed()


def _is_stand_in(origin: Any) -> bool:
    return str(origin or "").startswith(str(FOLDER))


def forget_shadowed() -> list[str]:
    """Drop from ``sys.modules`` every imported stand-in that an installed module now
    shadows (found first on ``sys.path``); returns their package names.

    Cheap when no stand-in was imported (a dict lookup each), so it can run before
    every cell.
    """
    forgotten = []
    for package in PACKAGES:
        module = sys.modules.get(package)
        if module is None or not _is_stand_in(getattr(module, "__file__", None)):
            continue
        # The path finder looks at sys.path itself, not at sys.modules; its directory
        # caches notice a new install by the directory's modification time.
        spec = importlib.machinery.PathFinder.find_spec(package)
        if spec is None or _is_stand_in(spec.origin):
            continue
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
        forgotten.append(package)
    return forgotten


def stand_in(upstream_id: str) -> Mount:
    """A ``mount`` for ``upstream_id`` that mounts its built-in equivalent."""
    builtin_id = BUILTIN_EQUIVALENTS[upstream_id]
    module_name = "amplifier_jupyter.modules." + builtin_id.replace("-", "_")

    async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> Any:
        if upstream_id not in _announced:
            _announced.add(upstream_id)
            print(
                f"amplifier: {upstream_id} is not installed: using the built-in {builtin_id} "
                "with the plan's config",
                flush=True,
            )
        return await importlib.import_module(module_name).mount(coordinator, config)

    mount.__doc__ = f"Mount the built-in {builtin_id} in place of {upstream_id}."
    return mount
