"""A provider that is not provider-claude, under upstream-like and built-in loops: its tokens
shown, its cost "unknown" (never $0), the cell's --model reaching it, and a max_cost_usd
nobody can enforce said so (issue 23 item 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from widget_comms import UPSTREAM_LIKE

from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.ui.timeline import Timeline

TEST_MODULES = str(Path(__file__).parent / "modules")
LOOPS = {
    "loop-notebook": "loop-notebook",
    "loop-basic-like": {"module": "loop-basic-like", "source": UPSTREAM_LIKE, "config": {}},
}


def plan(loop: str, **config: Any) -> dict[str, Any]:
    return {
        "session": {"orchestrator": LOOPS[loop], "context": "context-notebook"},
        "providers": [{"module": "provider-openai-like", "source": TEST_MODULES, "config": config}],
        "tools": [],
    }


@pytest.mark.parametrize("loop", list(LOOPS))
async def test_tokens_shown_and_cost_unknown(loop: str) -> None:
    ks = KernelSession()
    timeline = Timeline()
    ks.add_listener(timeline.on_event)
    try:
        await ks.set_plan(plan(loop))
        assert await ks.execute("hi") == "answered by gpt-like-1"
        # OpenAI's prompt_tokens include the cached ones: 100 fresh + 20 cached.
        assert (
            ks.totals.describe() == "100 in · 7 out · 20 cache read · 0 cache write · cost unknown"
        )
        assert timeline.describe_totals() == "1 model call · 120 in · 7 out · cost unknown"
        assert ks.hook_errors == []
    finally:
        ks.remove_listener(timeline.on_event)
        await ks.reset()


@pytest.mark.parametrize("loop", list(LOOPS))
async def test_the_cell_s_model_reaches_any_provider(loop: str) -> None:
    ks = KernelSession()
    try:
        await ks.set_plan(plan(loop))
        assert await ks.execute("hi", model="gpt-like-mini") == "answered by gpt-like-mini"
        assert await ks.execute("again") == "answered by gpt-like-1"
        # Importable once the session loaded it from its source (tests/modules on sys.path).
        from amplifier_module_provider_openai_like import REQUESTED

        assert REQUESTED[-2:] == ["gpt-like-mini", None]
    finally:
        await ks.reset()


async def test_a_cost_cap_nobody_can_enforce_is_said_once() -> None:
    ks = KernelSession()
    try:
        await ks.set_plan(plan("loop-notebook", max_cost_usd=1))
        await ks.execute("hi")
        (line,) = [n for n in ks.loader.notices if "max_cost_usd" in n]
        assert line.startswith("provider-openai-like: max_cost_usd is not enforced")
    finally:
        await ks.reset()
