"""The ``session.spawn`` and ``session.resume`` capabilities every session of the kernel offers.

``session.spawn`` / ``session.resume`` follow the calling convention of
Amplifier's own delegate and task tools, so such a tool in a plan forks
children here the same way it does in Amplifier's CLI::

    await spawn(agent_name=..., instruction=..., parent_session=..., agent_configs=...,
                sub_session_id=..., tool_inheritance=..., hook_inheritance=...,
                orchestrator_config=..., parent_messages=..., provider_preferences=...,
                self_delegation_depth=...)
    -> {"output": str, "session_id": str, "status": "success", "turn_count": int,
        "metadata": {...}}
    await resume(sub_session_id=..., instruction=...)  -> the same shape
"""

from __future__ import annotations

import copy
from typing import Any

from amplifier_jupyter.session.children import Children
from amplifier_jupyter.session.record import SessionRecord
from amplifier_jupyter.session.resume import complete_conversation
from amplifier_jupyter.transcripts.store import load_messages, load_metadata


def _module_id(entry: Any) -> str:
    return entry.get("module", "") if isinstance(entry, dict) else str(entry)


def _filtered(entries: list[Any], policy: dict[str, Any] | None, kind: str) -> list[Any]:
    """Apply an ``{"exclude_<kind>": [...]}`` / ``{"inherit_<kind>": [...]}`` policy."""
    if not policy:
        return entries
    inherit = policy.get(f"inherit_{kind}")
    if inherit is not None:
        return [e for e in entries if _module_id(e) in inherit]
    exclude = policy.get(f"exclude_{kind}") or []
    return [e for e in entries if _module_id(e) not in exclude]


def _merge_entries(base: list[Any], overlay: list[Any]) -> list[Any]:
    """Module lists merged by id: the overlay's config wins, new modules are appended."""
    merged = [copy.deepcopy(e) for e in base]
    for entry in overlay or []:
        for i, current in enumerate(merged):
            if _module_id(current) == _module_id(entry):
                combined = {**current, **entry}
                combined["config"] = {**current.get("config", {}), **entry.get("config", {})}
                merged[i] = combined
                break
        else:
            merged.append(copy.deepcopy(entry))
    return merged


def child_plan(
    parent_plan: dict[str, Any],
    *,
    agent_name: str = "self",
    agent_configs: dict[str, Any] | None = None,
    tool_inheritance: dict[str, Any] | None = None,
    hook_inheritance: dict[str, Any] | None = None,
    orchestrator_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan of a spawned child: the parent's, filtered, with the agent's overlay."""
    plan = copy.deepcopy(dict(parent_plan))
    plan.pop("agents", None)
    plan["tools"] = _filtered(plan.get("tools", []), tool_inheritance, "tools")
    plan["hooks"] = _filtered(plan.get("hooks", []), hook_inheritance, "hooks")
    overlay = (agent_configs or {}).get(agent_name) if agent_name != "self" else None
    if isinstance(overlay, dict):
        plan["session"] = {**plan.get("session", {}), **(overlay.get("session") or {})}
        for key in ("providers", "tools", "hooks"):
            plan[key] = _merge_entries(plan.get(key, []), overlay.get(key) or [])
    if orchestrator_config:
        orchestrator = plan["session"].get("orchestrator")
        if isinstance(orchestrator, dict):
            orchestrator["config"] = {**orchestrator.get("config", {}), **orchestrator_config}
        else:
            section = plan.setdefault("orchestrator", {})
            section["config"] = {**section.get("config", {}), **orchestrator_config}
    return plan


def _preferred_model(preferences: list[Any] | None, session: Any) -> str | None:
    """The first preference naming a mounted provider and a concrete model."""
    mounted = set((session.coordinator.get("providers") or {}).keys())
    for preference in preferences or []:
        if isinstance(preference, dict):
            provider, model = preference.get("provider"), preference.get("model")
        else:
            provider = getattr(preference, "provider", None)
            model = getattr(preference, "model", None)
        names = {provider, str(provider).removeprefix("provider-")}
        # A glob ("claude-haiku-*") needs the provider's model list: left to the provider.
        if model and names & mounted and not any(ch in model for ch in "*?["):
            return model
    return None


def _result(child: SessionRecord, output: str, agent: str | None) -> dict[str, Any]:
    return {
        "output": output,
        "session_id": child.session_id,
        "status": "success",
        "turn_count": child.turns,
        "metadata": {"name": child.name, "agent": agent, "parent_id": child.parent_id},
    }


def register_spawning(children: Children, session: Any) -> None:
    """Register ``session.spawn`` and ``session.resume`` on ``session``'s coordinator; the
    children they fork join ``children``."""

    async def spawn(
        agent_name: str,
        instruction: str,
        parent_session: Any = None,
        agent_configs: dict[str, Any] | None = None,
        sub_session_id: str | None = None,
        tool_inheritance: dict[str, Any] | None = None,
        hook_inheritance: dict[str, Any] | None = None,
        orchestrator_config: dict[str, Any] | None = None,
        parent_messages: list[dict[str, Any]] | None = None,
        provider_preferences: list[Any] | None = None,
        self_delegation_depth: int = 0,
        **_: Any,
    ) -> dict[str, Any]:
        """Fork a child of ``parent_session``, run ``instruction`` in it, return its answer."""
        parent = parent_session if parent_session is not None else session
        parent_plan = getattr(parent, "config", None) or session.config
        if (
            agent_name != "self"
            and ":" not in agent_name
            and agent_name not in (agent_configs or {})
        ):
            raise ValueError(f"agent {agent_name!r} is not defined in this plan's agents")
        plan = child_plan(
            parent_plan,
            agent_name=agent_name,
            agent_configs=agent_configs,
            tool_inheritance=tool_inheritance,
            hook_inheritance=hook_inheritance,
            orchestrator_config=orchestrator_config,
        )
        child, _note = await children.open(
            children.unique_name(agent_name),
            plan,
            parent=parent,
            session_id=sub_session_id,
            agent=agent_name,
            messages=parent_messages,
        )
        child.session.coordinator.register_capability(
            "self_delegation_depth", self_delegation_depth
        )
        model = _preferred_model(provider_preferences, child.session)
        # Errors propagate: the calling tool reports them to its model.
        output = await child.execute(instruction, model=model)
        return _result(child, output, agent_name)

    async def resume(sub_session_id: str, instruction: str, **_: Any) -> dict[str, Any]:
        """Continue a child (live, or saved in this directory) with ``instruction``."""
        child = children.find(sub_session_id)
        if child is None:
            metadata = load_metadata(sub_session_id)
            if metadata is None:
                raise FileNotFoundError(f"no session {sub_session_id}")
            name = children.unique_name(metadata.get("name") or sub_session_id[:8])
            child, _note = await children.open(
                name,
                None,
                parent=session,
                session_id=sub_session_id,
                messages=complete_conversation(load_messages(sub_session_id))[0],
            )
        output = await child.execute(instruction)
        return _result(child, output, child.agent)

    session.coordinator.register_capability("session.spawn", spawn)
    session.coordinator.register_capability("session.resume", resume)
