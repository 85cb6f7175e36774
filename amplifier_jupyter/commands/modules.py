"""``%amplifier install`` and ``%amplifier modules``: where the plan's modules come from."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.commands.table import table
from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.plans import plan_modules
from amplifier_jupyter.ui.view import say, shown

USAGE = "install SOURCE | modules"
HELP = """\
Modules
  %amplifier modules                      every module of the plan, where it comes from, its
                                          version
  %amplifier install SOURCE | MODULE-ID   pip-install a module source (git+https://...@ref, a
                                          path, or a module of the plan) into this kernel"""


async def install(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier install SOURCE|MODULE-ID``: pip-install a module source now."""
    from amplifier_jupyter.loading.installer import install_source, source_text

    spec = rest.strip()
    if not spec:
        raise AmplifierUserError(
            "usage: %amplifier install git+https://...@ref | PATH | MODULE-ID (from the plan)"
        )
    source = spec
    for _, module_id, module_source in plan_modules(ks.active_plan()):
        if module_id == spec:
            source = source_text(module_source) or ""
            if not source:
                raise AmplifierUserError(
                    f"the plan gives no source for {module_id}: give the source instead"
                )
    result = await install_source(source, lambda line: print(f"  {line}", flush=True))
    say(result.describe())
    if result.installed and ks.session is not None:
        say("the running session keeps its modules: %amplifier reset to start one with these")


async def modules(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier modules``: every module of the plan, where it comes from, its version."""
    from amplifier_jupyter.loading.resolver import module_origin

    rows = [("kind", "module", "from", "version")]
    for kind, module_id, source in plan_modules(ks.active_plan()):
        origin, version = module_origin(module_id, source)
        loaded = ks.loader.origins.get(module_id) if ks.loader is not None else None
        if loaded and loaded.split()[0] != origin.split()[0]:
            origin = f"{origin} (this session: {loaded})"
        rows.append((kind, module_id, origin, version))
    # A source may hold a token: each cell is redacted before the columns are lined up.
    print(table([[shown(cell) for cell in row] for row in rows]), flush=True)


COMMANDS = {
    "install": install,
    "modules": modules,
}
