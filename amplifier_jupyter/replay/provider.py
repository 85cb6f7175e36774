"""The wrapper the host mounts over every provider: a call on record replays, others are
made and recorded (by the mode: :mod:`.state`).

A replayed call emits what a provider emits for a call (``llm:request``, the content
blocks as ``content_block:start`` / ``delta`` / ``end`` unless the response carries
``content_blocks``, which the loop announces itself, then ``llm:response`` with the
recorded usage, ``cost_usd`` 0 and ``replayed: {"recorded": DAY}``), so the panel
streams it and the timeline and totals count it, under any loop. The response's tool
calls are the recorded ones; the loop runs the tools as for a live answer (under the
approval policy). Nothing else of the provider is touched: every other attribute is
the provider's own.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.modules._emit import emit
from amplifier_jupyter.modules._request_overrides import chosen_model
from amplifier_jupyter.redaction import redact
from amplifier_jupyter.replay.key import as_json, key_of, request_form
from amplifier_jupyter.replay.nearest import difference
from amplifier_jupyter.replay.state import ReplayState, replay_state
from amplifier_jupyter.replay.store import Record


class ReplayMissingError(AmplifierUserError):
    """Under ``strict``, a call that is not on record: the cell fails with this one line
    (an error output, so nbval, nbclient and papermill stop there), not a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"amplifier: {self}"]


def _cost(response: Any) -> Decimal | None:
    usage = getattr(response, "usage", None)
    value = getattr(usage, "cost_usd", None)
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class Replaying:
    """A mounted provider whose ``complete()`` replays or records (see the module docstring)."""

    def __init__(
        self,
        provider: Any,
        coordinator: Any,
        *,
        name: str,
        module: str,
        config: dict[str, Any] | None,
        state: ReplayState | None = None,
    ) -> None:
        self._provider = provider
        self._coordinator = coordinator
        self._name = name
        self._module = module
        self._config = config
        self._state = state

    @property
    def wrapped(self) -> Any:
        return self._provider

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._provider, attribute)

    def __repr__(self) -> str:
        return f"Replaying({self._provider!r})"

    def _model(self, request: Any) -> str | None:
        return (
            chosen_model(self._coordinator)
            or getattr(request, "model", None)
            or getattr(self._provider, "model", None)
            or getattr(self._provider, "default_model", None)
        )

    async def complete(self, request: Any, **kwargs: Any) -> Any:
        state = self._state or replay_state()
        if not state.active:
            return await self._provider.complete(request, **kwargs)
        form = request_form(
            request, module=self._module, config=self._config, model=self._model(request)
        )
        key = key_of(form)
        records = state.record_file()
        record = None if state.fresh else records.get(key)
        if record is not None:
            return await self._replay(record, state)
        if state.mode == "strict" and not state.fresh:
            cell = f"cell [{state.cell}]" if state.cell is not None else "this cell"
            state.missing = (
                f"replay strict: {cell} made a model call that is not on record in "
                f"{records.path.name}: {difference(form, records.records())}. "
                "Run it with %amplifier replay on (calls the model and records it), "
                "or %%amplifier --fresh for this cell"
            )
            raise ReplayMissingError(state.missing)
        response = await self._provider.complete(request, **kwargs)
        cost = _cost(response)
        records.put(
            Record(
                key=key,
                # As a transcript: no secret written (the key, a digest, is of the form as
                # sent, so the same call matches next time).
                form=redact(form),
                response=redact(as_json(response)),
                recorded=datetime.date.today().isoformat(),
                cost_usd=None if cost is None else str(cost),
                cell=state.cell,
            )
        )
        state.counts.live += 1
        state.counts.recorded += 1
        if cost is not None:
            state.counts.live_cost += cost
        return response

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        await emit(self._coordinator, event, data)  # nothing without hooks

    async def _replay(self, record: Record, state: ReplayState) -> Any:
        from amplifier_core.message_models import ChatResponse

        started = time.perf_counter()
        data = dict(record.response)
        usage = dict(data.get("usage") or {})
        if "cost_usd" in usage:
            usage["cost_usd"] = 0
        if usage:
            data["usage"] = usage
        data["metadata"] = {
            **(data.get("metadata") or {}),
            "replayed": True,
            "recorded": record.recorded,
        }
        response = ChatResponse.model_validate(data)
        model = record.form.get("model")
        base = {"provider": self._name, "model": model}
        await self._emit(
            "llm:request",
            {
                **base,
                "message_count": len((record.form.get("request") or {}).get("messages") or []),
                "replayed": True,
            },
        )
        if not getattr(response, "content_blocks", None):
            for index, block in enumerate(response.content or []):
                await self._announce_block(index, block)
        await self._emit(
            "llm:response",
            {
                **base,
                "usage": usage,
                "cost_usd": "0",
                "latency_ms": int((time.perf_counter() - started) * 1000),
                "finish_reason": response.finish_reason,
                "replayed": {"recorded": record.recorded},
            },
        )
        state.counts.replayed += 1
        if record.cost_usd is not None:
            with contextlib.suppress(InvalidOperation):
                state.counts.replayed_recorded_cost += Decimal(record.cost_usd)
        return response

    async def _announce_block(self, index: int, block: Any) -> None:
        """A recorded block as a provider streams it: start, its text at once, end."""
        kind = str(getattr(block, "type", "") or "")
        text = getattr(block, "text", None) if kind == "text" else getattr(block, "thinking", None)
        if kind not in ("text", "thinking"):
            return
        position = {"provider": self._name, "block_index": index, "block_type": kind}
        await self._emit("content_block:start", position)
        if text:
            await self._emit("content_block:delta", {**position, "delta": text})
        await self._emit("content_block:end", {**position, "block": as_json(block)})


def _entries(plan: dict[str, Any] | None) -> list[tuple[str, dict[str, Any] | None]]:
    found = []
    for entry in (plan or {}).get("providers") or []:
        if isinstance(entry, dict) and entry.get("module"):
            config = entry.get("config")
            found.append((str(entry["module"]), config if isinstance(config, dict) else None))
    return found


def _module_for(
    name: str, entries: list[tuple[str, dict[str, Any] | None]]
) -> tuple[str, dict[str, Any] | None]:
    """The plan entry a mounted provider came from (mount names drop ``provider-``)."""
    for module, config in entries:
        if name in (module, module.removeprefix("provider-")):
            return module, config
    if len(entries) == 1:
        return entries[0]
    return name, None


def _is_replaying(provider: Any) -> bool:
    """Whether ``provider`` is our wrapper, or under other wrappers (``wrapped``: the
    host's model choice) is."""
    for _ in range(8):
        if isinstance(provider, Replaying):
            return True
        provider = getattr(provider, "wrapped", None)
        if provider is None:
            return False
    return False


async def wrap_for_replay(coordinator: Any, plan: dict[str, Any] | None) -> None:
    """Wrap every mounted provider once (any provider module; a no-op while replay is off)."""
    if not replay_state().active:
        return
    entries = _entries(plan)
    for name, provider in list((coordinator.get("providers") or {}).items()):
        if _is_replaying(provider):
            continue
        module, config = _module_for(name, entries)
        wrapper = Replaying(provider, coordinator, name=name, module=module, config=config)
        await coordinator.mount("providers", wrapper, name=name)


def unwrapped(provider: Any) -> Any:
    """The provider under our wrappers."""
    while isinstance(provider, Replaying):
        provider = provider.wrapped
    return provider
