"""``%amplifier install`` and ``%amplifier modules``: where the plan's modules come from."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.commands.table import table
from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.session.plans import plan_modules
from amplifier_jupyter.ui.view import say, shown

USAGE = "install SOURCE | modules [--available]"
HELP = """\
Modules
  %amplifier modules                      every module of the plan, where it comes from, its
                                          version
  %amplifier modules --available          Amplifier's own modules, installable by id
  %amplifier install SOURCE | MODULE-ID   pip-install a module source (git+https://...@ref, a
                                          path), a module of the plan, or one of Amplifier's
                                          own by id (provider-openai) into this kernel"""


async def install(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier install SOURCE|MODULE-ID``: pip-install a module source now."""
    from amplifier_jupyter.loading.catalog import catalog_source, looks_like_id
    from amplifier_jupyter.loading.installer import install_source, source_text
    from amplifier_jupyter.loading.suggest import not_found_line

    spec = rest.strip()
    if not spec:
        raise AmplifierUserError(
            "usage: %amplifier install git+https://...@ref | PATH | MODULE-ID (from the plan)"
        )
    source = spec
    for _, module_id, module_source in plan_modules(ks.active_plan()):
        if module_id == spec:
            source = source_text(module_source) or catalog_source(module_id) or ""
            if not source:
                raise AmplifierUserError(
                    f"the plan gives no source for {module_id}: give the source instead"
                )
    if source == spec and looks_like_id(spec):
        source = catalog_source(spec) or ""
        if not source:
            raise AmplifierUserError(not_found_line(spec))
    result = await install_source(source, lambda line: print(f"  {line}", flush=True))
    say(result.describe())
    if result.installed and ks.session is not None:
        say("the running session keeps its modules: %amplifier reset to start one with these")


async def modules(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier modules``: every module of the plan, where it comes from, its version."""
    from amplifier_jupyter.loading.resolver import module_origin

    option = rest.strip()
    if option == "--available":
        _available()
        return
    if option:
        raise AmplifierUserError(f"usage: %amplifier modules [--available] (not {option!r})")
    rows = [("kind", "module", "from", "version")]
    for kind, module_id, source in plan_modules(ks.active_plan()):
        origin, version = module_origin(module_id, source)
        loaded = ks.loader.origins.get(module_id) if ks.loader is not None else None
        if loaded and loaded.split()[0] != origin.split()[0]:
            origin = f"{origin} (this session: {loaded})"
        rows.append((kind, module_id, origin, version))
    # A source may hold a token: each cell is redacted before the columns are lined up.
    print(table([[shown(cell) for cell in row] for row in rows]), flush=True)


def _available() -> None:
    """The table of Amplifier's own modules: id, kind, what it is, installed or not."""
    from amplifier_jupyter.loading.catalog import CATALOG, kind_of
    from amplifier_jupyter.loading.installer import installed_module_ids
    from amplifier_jupyter.loading.standins import BUILTIN_EQUIVALENTS

    installed = installed_module_ids()
    rows = [("kind", "module", "what it is", "here")]
    for module_id, what in sorted(CATALOG.items(), key=lambda item: (kind_of(item[0]), item[0])):
        if module_id in installed:
            here = "installed"
        elif module_id in BUILTIN_EQUIVALENTS:
            here = f"built-in {BUILTIN_EQUIVALENTS[module_id]} stands in"
        else:
            here = "-"
        rows.append((kind_of(module_id), module_id, what, here))
    print(table(rows), flush=True)
    say("%amplifier install ID installs one (from github.com/microsoft/amplifier-module-ID)")


COMMANDS = {
    "install": install,
    "modules": modules,
}
