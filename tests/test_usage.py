"""Usage in any form a hook receives it; each model call counted once (amplifier_jupyter/events)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from amplifier_core import AmplifierSession, HookResult
from amplifier_core.message_models import Usage as CoreUsage

from amplifier_jupyter.events.model_calls import ModelCalls
from amplifier_jupyter.events.usage import Usage, read_usage
from amplifier_jupyter.session.plans import scripted_plan
from amplifier_jupyter.session.totals import Totals


async def as_a_hook_receives(value: Any) -> Any:
    """``value`` sent as ``usage`` through a real session's hook registry, as a hook gets it."""
    plan = scripted_plan([])
    plan["tools"] = []
    session = AmplifierSession(config=plan)
    await session.initialize()
    received: list[Any] = []

    async def hook(event: str, data: dict[str, Any]) -> HookResult:
        received.append(data.get("usage"))
        return HookResult()

    try:
        session.coordinator.hooks.register("provider:response", hook, priority=0, name="probe")
        await session.coordinator.hooks.emit("provider:response", {"usage": value})
    finally:
        await session.cleanup()
    return received[0]


async def test_a_usage_model_reaches_a_hook_as_its_str_and_is_read() -> None:
    model = CoreUsage(
        input_tokens=11,
        output_tokens=7,
        total_tokens=18,
        cache_read_tokens=3,
        cost_usd=Decimal("0.00012"),
    )
    received = await as_a_hook_receives(model)
    # docs/design.md, fact 23: the registry hands a hook the model's str().
    assert isinstance(received, str) and received.startswith("input_tokens=11 output_tokens=7")
    assert read_usage(received) == Usage(11, 7, 3, 0, Decimal("0.00012"))


async def test_a_dict_with_a_decimal_reaches_a_hook_readable() -> None:
    received = await as_a_hook_receives({"input_tokens": 5, "output_tokens": 2, "cost_usd": "0.5"})
    assert read_usage(received) == Usage(5, 2, 0, 0, Decimal("0.5"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"input_tokens": 10, "output_tokens": 4}, Usage(10, 4)),
        (
            {"input_tokens": "10", "output_tokens": 4.0, "cost_usd": 0.25},
            Usage(10, 4, cost_usd=Decimal("0.25")),
        ),
        (
            CoreUsage(input_tokens=1, output_tokens=2, total_tokens=3, cache_write_tokens=9),
            Usage(1, 2, 0, 9),
        ),
        # The Anthropic API's names, as an upstream provider's extra fields.
        (
            {
                "input_tokens": 1,
                "output_tokens": 2,
                "cache_read_input_tokens": 30,
                "cache_creation_input_tokens": 40,
            },
            Usage(1, 2, 30, 40),
        ),
        # Ours win over the API's when both are there (no double count).
        (
            {
                "input_tokens": 1,
                "output_tokens": 2,
                "cache_read_tokens": 5,
                "cache_read_input_tokens": 5,
            },
            Usage(1, 2, 5),
        ),
        ("input_tokens=3 output_tokens=4 total_tokens=7 cost_usd=None", Usage(3, 4)),
        (
            "input_tokens=3 output_tokens=4 cost_usd=Decimal('1.5E-5')",
            Usage(3, 4, cost_usd=Decimal("0.000015")),
        ),
        ('{"input_tokens": 8, "output_tokens": 1}', Usage(8, 1)),
        (None, None),
        ("", None),
        ("no usage here", None),
        ({"total_tokens": 5}, None),
        ([1, 2], None),
        ({"input_tokens": "many", "output_tokens": 2}, Usage(0, 2)),
        ({"input_tokens": 1, "output_tokens": 1, "cost_usd": "NaN"}, Usage(1, 1)),
    ],
)
def test_read_usage(value: Any, expected: Usage | None) -> None:
    assert read_usage(value) == expected


def test_a_cost_beside_the_usage_counts_when_the_usage_has_none() -> None:
    assert read_usage({"input_tokens": 1, "output_tokens": 1}, "0.01") == Usage(
        1, 1, cost_usd=Decimal("0.01")
    )
    assert read_usage({"input_tokens": 1, "output_tokens": 1, "cost_usd": "0.02"}, "0.01") == Usage(
        1, 1, cost_usd=Decimal("0.02")
    )


U1 = {"input_tokens": 10, "output_tokens": 1}
U2 = {"input_tokens": 20, "output_tokens": 2}


def counted(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, int]]:
    """(event, input tokens) of each event that is a call's first report."""
    calls = ModelCalls()
    reports = []
    for event, data in events:
        usage = calls.first_report(event, data)
        if usage is not None:
            reports.append((event, usage.input_tokens))
    return reports


def test_a_provider_s_llm_response_and_the_loop_s_provider_response_are_one_call() -> None:
    # loop-basic / loop-notebook with a provider that reports (provider-claude, -scripted).
    events = []
    for usage in (U1, U2):
        events += [
            ("provider:request", {}),
            ("llm:request", {}),
            ("llm:response", {"usage": usage}),
            ("provider:response", {"usage": usage, "tool_calls": True}),
            ("content_block:end", {"usage": usage, "block_index": 0}),
        ]
    assert counted(events) == [("llm:response", 10), ("llm:response", 20)]


def test_a_loop_s_provider_response_alone_counts() -> None:
    events = [
        ("provider:request", {}),
        ("provider:response", {"usage": "input_tokens=10 output_tokens=1"}),
    ]
    assert counted(events * 3) == [("provider:response", 10)] * 3


def test_usage_only_on_content_block_end_counts_once_per_call() -> None:
    # loop-streaming with a provider that emits no llm:response: each block carries the usage.
    call = [
        ("provider:request", {}),
        ("content_block:end", {"usage": U1, "block_index": 0}),
        ("content_block:end", {"usage": U1, "block_index": 1}),
    ]
    assert counted(call * 2) == [("content_block:end", 10)] * 2


def test_a_call_outside_the_loop_counts_and_does_not_swallow_the_loop_s_next() -> None:
    events = [
        ("llm:response", {"usage": U2}),  # e.g. a context manager summarizing
        ("provider:request", {}),
        ("provider:response", {"usage": U1}),
    ]
    assert counted(events) == [("llm:response", 20), ("provider:response", 10)]


def test_a_call_reported_without_usage_counts_with_no_tokens() -> None:
    totals = Totals()
    for event in ("provider:request", "provider:response"):
        totals.observe(event, {"usage": "garbage"})
    assert (totals.requests, totals.input_tokens) == (1, 0)
