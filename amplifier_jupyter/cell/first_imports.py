"""What a kernel's first ``%%amplifier`` cell imports, for the warm-up to import beforehand.

Other packages first, on the warm-up's thread: amplifier-core (with pydantic),
ipywidgets and anywidget (the panel) and, when the next session's plan has an Anthropic
provider, the anthropic SDK. Then this package's modules, on the kernel's loop:
the cell's own code (its run, the session layer, the panel, where modules come
from) and the built-in modules the plan mounts, each with its submodules
(their ``mount()`` imports them). The plan is read when the warm-up gets there,
so a plan set in the cells after ``%load_ext`` counts. The modules of other
packages that a plan names are left to the session.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from amplifier_jupyter._ipython.warmup import Step

OTHER_PACKAGES = (
    "amplifier_core",
    # amplifier-core's modules that a session's first initialize() and execute() import.
    "amplifier_core._session_init",
    "amplifier_core._session_exec",
    "amplifier_core.approval",
    "amplifier_core.correlation",
    "amplifier_core._async_compat",
    "ipywidgets",
    # The panel's one widget.
    "anywidget",
)
ANTHROPIC_SDK = "anthropic"
# What the SDK imports only when its first client sends its first request: the HTTP
# transport and the tracing headers (measured with anthropic 2.15).
ANTHROPIC_SDK_AT_FIRST_REQUEST = (
    "httpcore2",
    "h11",
    "truststore",
    "anyio._backends._asyncio",
    "anyio.streams.tls",
    "anyio.streams.stapled",
    "opentelemetry.propagate",
    "opentelemetry.trace.propagation.tracecontext",
    "opentelemetry.baggage.propagation",
)
# The provider ids whose module imports the anthropic SDK (built-in provider-claude and the
# upstream id it stands in for).
ANTHROPIC_PROVIDERS = ("provider-claude", "provider-anthropic")
CELL_MODULES = (
    "amplifier_jupyter.cell.run",
    "amplifier_jupyter.ui.approval",
    "amplifier_jupyter.ui.display",
    "amplifier_jupyter.ui.panel",
    "amplifier_jupyter.ui.panel_widget",
    "amplifier_jupyter.loading.resolver",
    "amplifier_jupyter.modules.hooks_notebook_approval",
)
BUILTIN_PACKAGE = "amplifier_jupyter.modules"
KERNEL_MODULE = "amplifier_jupyter.session.kernel"


def _next_plan() -> dict[str, Any] | None:
    """The next session's plan if this package's session layer is imported (else: the default).

    Read from ``sys.modules`` only: the thread must not import this package.
    """
    kernel = sys.modules.get(KERNEL_MODULE)
    next_plan = getattr(kernel, "next_plan", None)
    return next_plan() if next_plan is not None else None


def sdk_for_the_plan() -> Iterator[str]:
    """The anthropic SDK, when the next session's plan (the default one included) needs it."""
    plan = _next_plan()
    providers = [] if plan is None else plan.get("providers", [])
    if plan is None or any(
        isinstance(entry, dict) and entry.get("module") in ANTHROPIC_PROVIDERS
        for entry in providers
    ):
        yield ANTHROPIC_SDK
        yield from ANTHROPIC_SDK_AT_FIRST_REQUEST


def builtin_modules_of_the_plan() -> Iterator[str]:
    """The built-in modules (packages, then their submodules) of the next session's plan."""
    import importlib.util
    import pkgutil

    from amplifier_jupyter.loading.resolver import local_directory
    from amplifier_jupyter.loading.standins import BUILTIN_EQUIVALENTS
    from amplifier_jupyter.session.kernel import next_plan
    from amplifier_jupyter.session.plans import plan_modules

    seen = set()
    for _kind, module_id, source in plan_modules(next_plan()):
        if local_directory(source) is not None:
            continue
        builtin = BUILTIN_EQUIVALENTS.get(module_id, module_id)
        name = f"{BUILTIN_PACKAGE}.{builtin.replace('-', '_')}"
        if name in seen or importlib.util.find_spec(name) is None:
            continue
        seen.add(name)
        yield name
        package = sys.modules.get(name)
        for found in pkgutil.iter_modules(getattr(package, "__path__", [])):
            yield f"{name}.{found.name}"


def thread_steps() -> list[Step]:
    """What the warm-up's thread imports: other packages only."""
    return [*OTHER_PACKAGES, sdk_for_the_plan]


def loop_steps() -> list[Step]:
    """What the warm-up imports on the kernel's loop: this package's modules."""
    return [*CELL_MODULES, builtin_modules_of_the_plan]
