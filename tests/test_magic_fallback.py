"""The fallback path of the registered magic: finishing a coroutine now, or on the running loop."""

from __future__ import annotations

import asyncio

from amplifier_jupyter.magics import _finish_now, _resume


async def test_a_coroutine_that_never_waits_finishes_synchronously() -> None:
    async def status() -> str:
        return "status text"

    assert _finish_now(status()) == (True, "status text")


async def test_a_resumed_coroutine_lets_the_loop_run_on_bare_yields() -> None:
    other_ran: list[bool] = []

    async def polling() -> str:
        for _ in range(10_000):  # bounded: without the loop running, this would spin
            if other_ran:
                return "saw the other task"
            await asyncio.sleep(0)
        return "spun without the loop"

    async def other() -> None:
        other_ran.append(True)

    coroutine = polling()
    finished, yielded = _finish_now(coroutine)
    assert not finished
    asyncio.ensure_future(other())
    assert await _resume(coroutine, yielded) == "saw the other task"


async def test_a_resumed_coroutine_waits_for_its_futures() -> None:
    async def sleeper() -> str:
        await asyncio.sleep(0.01)
        return "slept"

    coroutine = sleeper()
    finished, yielded = _finish_now(coroutine)
    assert not finished and yielded is not None
    assert await _resume(coroutine, yielded) == "slept"
