"""Stand-ins so a plain ``AmplifierSession`` in a cell finds the upstream module ids.

With no source resolver, amplifier-core looks a module id up as an entry
point, then imports ``amplifier_module_<id>`` (docs/design.md, fact 1). The folder
``_standins`` holds packages with those names for ``loop-basic``,
``loop-streaming``, ``context-simple`` and ``provider-anthropic`` that mount
the built-in equivalents. ``%load_ext`` appends the folder to the *end* of
``sys.path`` and registers no entry point, so Amplifier's own modules, when
installed, always win and nothing collides with them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent.parent / "_standins"
_announced: set[str] = set()

Mount = Callable[[Any, dict[str, Any] | None], Awaitable[Any]]


def install() -> None:
    """Put the stand-ins on ``sys.path``, after everything already there."""
    path = str(FOLDER)
    if path not in sys.path:
        sys.path.append(path)


def stand_in(upstream_id: str) -> Mount:
    """A ``mount`` for ``upstream_id`` that mounts its built-in equivalent."""
    from amplifier_jupyter.loading.resolver import BUILTIN_EQUIVALENTS

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
