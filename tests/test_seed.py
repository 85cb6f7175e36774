"""The seed document's example, as written, in a notebook kernel, against the fake Messages API.

The plan names Amplifier's upstream ids (loop-basic, context-simple,
provider-anthropic from its git source); the built-in equivalents stand in,
and the real anthropic SDK talks HTTP to ``tests/fake_anthropic.py``.
"""

from __future__ import annotations

from fake_anthropic import FakeAnthropic
from kernel_harness import Kernel
from seed_example import SEED_CONFIG, SEED_MAIN


def test_the_seed_plan_through_the_magic(fake_kernel: Kernel, fake: FakeAnthropic) -> None:
    fake.reset()
    assert fake_kernel.execute(SEED_CONFIG).ok
    assert "plan set" in fake_kernel.execute("%amplifier config config").stdout
    result = fake_kernel.execute("%%amplifier\nWhat is 2 + 2?")
    assert result.ok, result.error
    assert result.markdown == ["4"]
    assert "provider-anthropic is not installed: using the built-in provider-claude" in (
        result.stdout
    )
    assert "Traceback" not in result.stdout + result.stderr
    [request] = fake.requests
    assert request.body["model"] == "claude-sonnet-4-5"
    sent_key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
    assert sent_key.removeprefix("Bearer ") == "test-key"
    assert request.body["messages"][-1]["role"] == "user"
    assert "What is 2 + 2?" in str(request.body["messages"][-1]["content"])
    # The conversation continues: the next cell's request carries the first turn.
    fake_kernel.execute("%%amplifier\nAnd 3 + 3?")
    assert len(fake.requests[-1].body["messages"]) == 3


def test_the_seed_main_with_await_in_a_cell(fake_kernel: Kernel, fake: FakeAnthropic) -> None:
    fake.reset()
    assert fake_kernel.execute(SEED_CONFIG).ok
    result = fake_kernel.execute(SEED_MAIN)
    assert result.ok, result.error
    assert result.stdout.strip().splitlines()[-1] == "4"
    assert "Traceback" not in result.stderr
    assert len(fake.requests) == 1
    assert fake.requests[0].body["model"] == "claude-sonnet-4-5"
