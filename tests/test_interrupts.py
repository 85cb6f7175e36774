"""The interrupt guards of ``amplifier_jupyter._ipython.interrupts``, in this process."""

from __future__ import annotations

import os
import signal
import time

import pytest

from amplifier_jupyter._ipython.interrupts import context_interruptible
from amplifier_jupyter.notebook_context.guard import ContextInterrupted


def interrupt_soon() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0.05)


@pytest.fixture(autouse=True)
def alarm_interrupts():
    """SIGALRM sends this process SIGINT, as the kernel's interrupt does."""
    previous = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_the_interrupt_raises_in_the_gathering_code_and_the_old_handler_is_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    started = time.monotonic()
    with pytest.raises(ContextInterrupted), context_interruptible():
        interrupt_soon()
        time.sleep(30)
    assert time.monotonic() - started < 20
    assert signal.getsignal(signal.SIGINT) is before


def test_an_interrupt_that_user_code_swallows_still_stops_the_gathering() -> None:
    reached_the_end = []
    with pytest.raises(ContextInterrupted), context_interruptible():
        try:
            interrupt_soon()
            time.sleep(30)
        except BaseException:  # a careless __repr__
            pass
        reached_the_end.append(True)
    assert reached_the_end == [True]


def test_without_an_interrupt_nothing_is_raised() -> None:
    with context_interruptible():
        value = 1
    assert value == 1
