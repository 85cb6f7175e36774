"""Mount plans: the default one, reading one from a name, a file or a literal, and checking it."""

from __future__ import annotations

import ast
import copy
import json
import os
from pathlib import Path
from typing import Any

from amplifier_jupyter.errors import PlanError

MODULE_LISTS = ("providers", "tools", "hooks")
NO_KEY_LINE = (
    "No Anthropic API key: set ANTHROPIC_API_KEY (for example %env ANTHROPIC_API_KEY=sk-...), "
    "or use the offline provider-scripted (see %amplifier help)."
)
ANTHROPIC_PROVIDER_IDS = ("provider-claude", "provider-anthropic")


def default_plan() -> dict[str, Any]:
    """The plan used when the user has set none: built-in loop, context, Claude, notebook tools."""
    return {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-claude", "config": {}}],
        # python and the notebook's write tools ask before each call; notebook and variables
        # only read.
        "tools": [
            {"module": m}
            for m in ("tool-python", "tool-notebook", "tool-variables", "tool-notebook-edit")
        ],
        "hooks": [],
    }


def scripted_plan(script: list[Any] | None = None) -> dict[str, Any]:
    """A fully offline plan (tutorials, tests, a first try without a key)."""
    plan = default_plan()
    plan["providers"] = [{"module": "provider-scripted", "config": {"script": list(script or [])}}]
    return plan


def _describe(value: Any) -> str:
    from amplifier_jupyter.redaction import redact_text

    # Redacted before it is cut: a cut-off secret would no longer look like one.
    return redact_text(f"{type(value).__name__} {value!r}")[:80]


def _check_module_ref(value: Any, where: str, example: str) -> None:
    if isinstance(value, str):
        if not value.strip():
            raise PlanError(f'{where} is empty: name a module, e.g. "{example}"')
        return
    if isinstance(value, dict):
        if not isinstance(value.get("module"), str) or not value["module"].strip():
            raise PlanError(f'{where}.module is missing: name a module, e.g. "{example}"')
        if "config" in value and not isinstance(value["config"], dict):
            raise PlanError(f"{where}.config must be a dict, not {_describe(value['config'])}")
        return
    raise PlanError(
        f'{where} must be a module id such as "{example}" (or a dict with "module"), '
        f"not {_describe(value)}"
    )


def validate_plan(plan: Any) -> dict[str, Any]:
    """Check a plan's shape; return a deep copy. Raises :class:`PlanError` naming the key."""
    if not isinstance(plan, dict):
        raise PlanError(f"a mount plan must be a dict, not {_describe(plan)}")
    unknown = set(plan) - {"session", *MODULE_LISTS, "orchestrator", "context", "agents"}
    if unknown:
        raise PlanError(
            f"unknown top-level key(s) {sorted(unknown)}: a plan has session, providers, "
            "tools and hooks"
        )
    session = plan.get("session")
    if not isinstance(session, dict):
        raise PlanError(
            'session is missing: give {"session": {"orchestrator": "loop-basic", '
            '"context": "context-simple"}}'
        )
    for key, example in (("orchestrator", "loop-basic"), ("context", "context-simple")):
        if key not in session:
            raise PlanError(f'session.{key} is missing: name a module, e.g. "{example}"')
        _check_module_ref(session[key], f"session.{key}", example)
    examples = {"providers": "provider-anthropic", "tools": "tool-python", "hooks": "hooks-logging"}
    for key in MODULE_LISTS:
        entries = plan.get(key, [])
        if not isinstance(entries, list):
            raise PlanError(f"{key} must be a list of module entries, not {_describe(entries)}")
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise PlanError(
                    f'{key}[{i}] must be a dict like {{"module": "{examples[key]}"}}, '
                    f"not {_describe(entry)}"
                )
            _check_module_ref(entry, f"{key}[{i}]", examples[key])
            source = entry.get("source")
            if source is not None and not isinstance(source, str | dict):
                raise PlanError(f"{key}[{i}].source must be a string, not {_describe(source)}")
    return copy.deepcopy(plan)


def _parse_literal(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as error:
        raise PlanError(
            "the plan literal is neither JSON nor a Python dict literal "
            f"({type(error).__name__}: {error}): check the braces and quotes"
        ) from None


def read_plan_file(path: Path) -> Any:
    """Read a plan from a ``.json``, ``.yaml`` or ``.yml`` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PlanError(f"cannot read {path}: {error.strerror or error}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise PlanError(f"{path} is not valid JSON: {error}") from None
    import yaml  # only when a YAML plan is used

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PlanError(f"{path} is not valid YAML: {one_line_yaml(error)}") from None


def one_line_yaml(error: Exception) -> str:
    """A YAML error in one line: what and where, without the file's text (it may hold a key)."""
    parts = []
    for what in ("context", "problem"):
        text, mark = getattr(error, what, None), getattr(error, f"{what}_mark", None)
        if text:
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            parts.append(f"{text}{where}")
    return "; ".join(parts) or " ".join(str(error).split())


def resolve_plan_spec(spec: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """``%amplifier config SPEC``: a literal, a file path or a variable name."""
    spec = spec.strip()
    if not spec:
        raise PlanError("give a plan: %amplifier config NAME | PATH.yaml | PATH.json | {...}")
    if spec.startswith("{"):
        return validate_plan(_parse_literal(spec))
    path = Path(os.path.expanduser(spec))
    if path.suffix.lower() in (".json", ".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise PlanError(f"no plan file at {path}: check the path (relative to {Path.cwd()})")
        return validate_plan(read_plan_file(path))
    if spec.isidentifier():
        if spec not in namespace:
            raise PlanError(
                f"no variable named {spec!r}: define the plan dict first, or give a path"
            )
        return validate_plan(namespace[spec])
    raise PlanError(f"{spec!r} is not a variable name, a .yaml/.json path or a {{...}} literal")


def needs_anthropic_key(plan: dict[str, Any]) -> bool:
    """Whether the plan's Anthropic provider has no key anywhere (config or environment)."""
    if os.environ.get("ANTHROPIC_API_KEY"):
        return False
    for entry in plan.get("providers", []):
        if entry.get("module") in ANTHROPIC_PROVIDER_IDS and not (entry.get("config") or {}).get(
            "api_key"
        ):
            return True
    return False


def module_ref(value: str | dict[str, Any]) -> tuple[str, Any]:
    """``(module id, source)`` of a session.orchestrator / session.context value."""
    if isinstance(value, dict):
        return value["module"], value.get("source")
    return value, None


def plan_modules(plan: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Every module of a plan as ``(kind, id, source)``."""
    session = plan["session"]
    found = []
    for kind in ("orchestrator", "context"):
        module_id, source = module_ref(session[kind])
        found.append((kind, module_id, source or session.get(f"{kind}_source")))
    for key in MODULE_LISTS:
        for entry in plan.get(key, []):
            found.append((key[:-1], entry["module"], entry.get("source")))
    return found
