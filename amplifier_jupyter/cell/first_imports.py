"""What a kernel's first ``%%amplifier`` cell imports, for the warm-up to import beforehand.

Other packages first, on the warm-up's thread: amplifier-core (with pydantic),
ipywidgets and anywidget (the panel) and, when the next session's plan has an Anthropic
provider, the anthropic SDK. Then this package's modules, on the kernel's loop:
the cell's own code (its run, the session layer, the panel, where modules come
from) and the built-in modules the plan mounts, each with its submodules
(their ``mount()`` imports them); then it reads the installed modules' entry points,
builds provider-claude's TLS context and makes the first calls that fill the process's
caches (:func:`first_calls`). The plan is read when the warm-up gets there,
so a plan set in the cells after ``%load_ext`` counts. The modules of other
packages that a plan names are left to the session. For the SDK, the thread also
reads one canned answer offline (:func:`sdk_first_stream`): its models are built
when first used, not when imported.
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
        yield from sdk_first_stream()


# A streamed answer as the Messages API sends it: a ping, a text block and a tool call,
# with the usage fields the API sends (the cache's token counts: their ``Optional[int]``
# field is built on first use, docs/design.md fact 34).
_WARM_USAGE = {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
_WARM_EVENTS: tuple[dict[str, Any], ...] = (
    {
        "type": "message_start",
        "message": {
            "id": "msg_warmup",
            "type": "message",
            "role": "assistant",
            "model": "warm-up",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1, **_WARM_USAGE},
        },
    },
    {"type": "ping"},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_warmup", "name": "t", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": "{}"},
    },
    {"type": "content_block_stop", "index": 1},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"input_tokens": 1, "output_tokens": 2, **_WARM_USAGE},
    },
    {"type": "message_stop"},
)


def sdk_first_stream() -> Iterator[str]:
    """No new module names: it reads one streamed answer with the SDK, offline, so that the
    first real one does not pay for building the SDK's response models.

    anthropic's models build their pydantic schemas when first used (about 1,500 are
    left unbuilt by its import), and the first stream built those of the stream's
    events and the message: about 100 ms of the first cell, after every import was
    done. Here the SDK's own client reads a canned answer from an in-memory transport
    (``httpx2.MockTransport``), in an event loop of the thread's own: nothing leaves
    the process and the kernel's loop is not touched.
    """
    # A name already imported: the warm-up waits here while a cell runs, before the work.
    yield ANTHROPIC_SDK
    import asyncio
    import json

    import anthropic
    import httpx2

    body = "".join(
        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n" for event in _WARM_EVENTS
    ).encode()

    def answer(request: Any) -> Any:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async def read_one() -> None:
        transport = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
        client = anthropic.AsyncAnthropic(
            api_key="warm-up", base_url="http://warm-up.invalid", http_client=transport
        )
        try:
            messages: list[Any] = [{"role": "user", "content": "warm-up"}]
            async with client.messages.stream(
                model="warm-up", max_tokens=8, messages=messages
            ) as events:
                async for _event in events:
                    pass
                await events.get_final_message()
        finally:
            await client.close()

    asyncio.run(read_one())


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


TLS_MODULE = f"{BUILTIN_PACKAGE}.provider_claude._tls"
ENTRY_POINTS_MODULE = "amplifier_jupyter.loading.entry_points"


def installed_modules() -> Iterator[str]:
    """The resolver's module: the installed Amplifier modules are read once, here, for
    the first session's loader (loading/entry_points.py)."""
    yield ENTRY_POINTS_MODULE
    from amplifier_jupyter.loading.entry_points import installed_modules as read

    read()


def tls_for_the_plan() -> Iterator[str]:
    """No module names: when the plan's built-in modules brought provider-claude's TLS
    module, it builds the process's TLS context, which each SDK client would otherwise
    build on the first request of its session (about 20 ms)."""
    tls = sys.modules.get(TLS_MODULE)
    if tls is not None:
        tls.shared_ssl_context()
    yield from ()


OPTIONS_MODULE = "amplifier_jupyter.cell.options"
REDACTION_MODULE = "amplifier_jupyter.redaction"
# An event as a session's hook sees one, for the redaction's first call.
_WARM_EVENT = {
    "provider": "warm-up",
    "model": "warm-up",
    "usage": {"input_tokens": 1, "cache_read_input_tokens": 0},
    "tool_call_id": "toolu_warmup",
    "message": "warm-up: {'api_key': 'warm-up'}",
}


def first_calls() -> Iterator[str]:
    """No new module names: the first calls the first cell would make, each filling a
    cache of the process, one a callback on the kernel's loop (docs/design.md fact 34):

    * the cell's options parser (``cell/options.py``, built once: argparse looks up
      its messages' translations), by parsing an empty line;
    * the redaction's first call (``redaction.py``): the environment's secret values
      read, and the key-name pattern compiled, for what each event's hook redacts;
    * the loop's default executor, when the anthropic SDK is warmed: each SDK client's
      first request runs one function in a thread (``asyncio.to_thread``), and the
      first one in the process starts the executor and its thread.

    Nothing here makes a session or a coordinator, writes a file or opens a
    connection; each is what the first cell would have done itself.
    """
    yield OPTIONS_MODULE
    from amplifier_jupyter.cell.options import parse_cell_options

    parse_cell_options("")
    yield REDACTION_MODULE
    from amplifier_jupyter.redaction import redact

    redact(_WARM_EVENT)
    if ANTHROPIC_SDK not in sys.modules:  # the plan has no Anthropic provider
        return
    yield "asyncio"
    import asyncio
    import os

    # In a loop callback: the kernel's loop. Its result (a pid) is not needed.
    asyncio.get_running_loop().run_in_executor(None, os.getpid)


def thread_steps() -> list[Step]:
    """What the warm-up's thread imports: other packages only."""
    return [*OTHER_PACKAGES, sdk_for_the_plan]


def loop_steps() -> list[Step]:
    """What the warm-up imports on the kernel's loop: this package's modules."""
    return [
        *CELL_MODULES,
        builtin_modules_of_the_plan,
        installed_modules,
        tls_for_the_plan,
        first_calls,
    ]
