"""Mount plans: reading from a name, a file or a literal, and errors that name the key."""

from __future__ import annotations

import json

import pytest

from amplifier_jupyter.errors import PlanError
from amplifier_jupyter.session.plans import (
    default_plan,
    needs_anthropic_key,
    resolve_plan_spec,
    scripted_plan,
    validate_plan,
)

SEED = {
    "session": {"orchestrator": "loop-basic", "context": "context-simple"},
    "providers": [
        {
            "module": "provider-anthropic",
            "source": "git+https://github.com/microsoft/amplifier-module-provider-anthropic@main",
            "config": {"model": "claude-sonnet-4-5"},
        }
    ],
    "tools": [],
}


def test_seed_plan_is_valid_and_copied() -> None:
    checked = validate_plan(SEED)
    assert checked == SEED
    assert checked is not SEED and checked["providers"] is not SEED["providers"]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"session": {"orchestrator": "loop-basic"}}, "session.context is missing"),
        ({"session": {"context": "context-simple"}}, "session.orchestrator is missing"),
        ({"providers": []}, "session is missing"),
        ([], "a mount plan must be a dict"),
        ({**SEED, "providers": {"module": "x"}}, "providers must be a list"),
        ({**SEED, "providers": ["provider-anthropic"]}, "providers[0] must be a dict"),
        ({**SEED, "tools": [{"config": {}}]}, "tools[0].module is missing"),
        ({**SEED, "tools": [{"module": "t", "config": []}]}, "tools[0].config must be a dict"),
        ({**SEED, "session": {"orchestrator": 3, "context": "c"}}, "session.orchestrator must be"),
        ({**SEED, "provider": []}, "unknown top-level key"),
    ],
)
def test_validation_names_the_key(plan: object, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        validate_plan(plan)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_spec_from_variable_file_and_literal(tmp_path) -> None:
    assert resolve_plan_spec("config", {"config": SEED}) == SEED
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(SEED))
    assert resolve_plan_spec(str(path), {}) == SEED
    yaml_path = tmp_path / "plan.yaml"
    yaml_path.write_text(
        "session:\n  orchestrator: loop-basic\n  context: context-simple\n"
        "providers:\n  - module: provider-scripted\n    config: {script: [hi]}\n"
    )
    plan = resolve_plan_spec(str(yaml_path), {})
    assert plan["providers"][0]["config"] == {"script": ["hi"]}
    assert resolve_plan_spec(json.dumps(SEED), {}) == SEED
    # A Python literal (True, single quotes) works too.
    literal = "{'session': {'orchestrator': 'loop-basic', 'context': 'context-simple'}}"
    assert resolve_plan_spec(literal, {})["session"]["context"] == "context-simple"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "no variable named 'nope'"),
        ("missing.yaml", "no plan file at missing.yaml"),
        ("{'session': ", "neither JSON nor a Python dict literal"),
        ("not a name", "is not a variable name"),
        ("", "give a plan"),
    ],
)
def test_bad_specs_say_what_to_do(spec: str, message: str) -> None:
    with pytest.raises(PlanError) as caught:
        resolve_plan_spec(spec, {})
    assert message in str(caught.value)


def test_variable_that_is_not_a_dict() -> None:
    with pytest.raises(PlanError, match="must be a dict, not list"):
        resolve_plan_spec("x", {"x": [1]})


def test_key_detection(monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert needs_anthropic_key(default_plan())
    assert needs_anthropic_key(SEED)
    assert not needs_anthropic_key(scripted_plan(["x"]))
    keyed = validate_plan(SEED)
    keyed["providers"][0]["config"]["api_key"] = "k"
    assert not needs_anthropic_key(keyed)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    assert not needs_anthropic_key(default_plan())
