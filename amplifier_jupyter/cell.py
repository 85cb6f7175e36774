"""Running a ``%%amplifier`` cell: options, prompt, view, answer."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from .errors import AmplifierUserError
from .kernel_session import KernelSession, kernel_session
from .options import parse_cell_options
from .ui.view import QuietView, RunView

EMPTY_CELL_HINT = "the cell is empty: write the prompt on the lines below %%amplifier"


def _shell() -> Any:
    from IPython import get_ipython

    return get_ipython()


def make_view() -> RunView:
    """The view for this cell."""
    return QuietView()


@contextlib.contextmanager
def interrupt_stops(ks: KernelSession) -> Iterator[None]:
    """For the run's length, the kernel's interrupt asks the agent to stop.

    An awaiting cell sees a SIGINT only when its awaited call returns
    (design.md fact 8), so the loop's own handler takes it, and gives it back
    afterwards so plain cells are interrupted as usual.
    """
    loop = asyncio.get_running_loop()
    installed = False
    if threading.current_thread() is threading.main_thread():
        try:
            loop.add_signal_handler(signal.SIGINT, lambda: asyncio.ensure_future(ks.stop()))
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            installed = False
    try:
        yield
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
            # remove_signal_handler leaves SIG_DFL behind; the kernel expects its own.
            signal.signal(signal.SIGINT, signal.default_int_handler)


async def run_cell(args: str, body: str) -> None:
    """What a ``%%amplifier`` cell does (the input transformer awaits this)."""
    ks = kernel_session()
    view: RunView = make_view()
    try:
        options = parse_cell_options(args)
    except AmplifierUserError as error:
        view.fail(str(error))
        return
    prompt = body.strip()
    if not prompt:
        view.notice(EMPTY_CELL_HINT)
        return
    shown_notices = len(ks.loader.notices) if ks.loader is not None and ks.session else 0
    shown_failures = len(ks.load_failures) if ks.session else 0
    ks.listeners.append(view.on_event)
    view.start(prompt)
    try:
        with interrupt_stops(ks):
            answer = await ks.execute(prompt, model=options.model)
    except AmplifierUserError as error:
        _flush_notices(ks, view, shown_notices, shown_failures)
        view.fail(str(error))
        return
    finally:
        with contextlib.suppress(ValueError):
            ks.listeners.remove(view.on_event)
    _flush_notices(ks, view, shown_notices, shown_failures)
    view.finish(answer)
    show_answer(answer)
    shell = _shell()
    if shell is not None:
        shell.user_ns[options.out] = answer


def _flush_notices(ks: KernelSession, view: RunView, notices: int, failures: int) -> None:
    """Show what the session start had to say, once."""
    if ks.loader is not None:
        for line in ks.loader.notices[notices:]:
            view.notice(line)
    for line in ks.load_failures[failures:]:
        view.notice(line)
    for line in ks.hook_errors:
        view.notice(line)


def show_answer(answer: str) -> None:
    """The final answer as a Markdown output (readable where widgets are not)."""
    from IPython.display import Markdown, display

    display(Markdown(answer or "*(no answer)*"))
