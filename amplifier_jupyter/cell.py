"""Running a ``%%amplifier`` cell: options, prompt, view, answer."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from .errors import AmplifierUserError, one_line
from .kernel_session import KernelSession, kernel_session
from .options import CellOptions, parse_cell_options
from .ui.view import QuietView, RunView

EMPTY_CELL_HINT = "the cell is empty: write the prompt on the lines below %%amplifier"
RERUN_APPENDS = (
    "this cell's earlier turn is no longer the latest: the new run is added at the end "
    "of the conversation (the earlier answer stays in it)"
)


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
        prompt, cell_id = await _notebook_context(ks, view, options, prompt)
        with interrupt_stops(ks):
            if options.child:
                from .children import run_child_cell

                answer = await run_child_cell(ks, options, prompt, view.notice)
            else:
                answer = await ks.execute(prompt, model=options.model, cell_id=cell_id)
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


async def _notebook_context(
    ks: KernelSession, view: RunView, options: CellOptions, prompt: str
) -> tuple[str, str | None]:
    """The prompt to send (interpolated, with the context the flags asked for) and
    the cell's id; tells the user what was sent and what was left as written.
    """
    from .notebook_context import current_cell_id, prepare_prompt

    shell = _shell()
    try:
        prepared = prepare_prompt(
            shell,
            prompt,
            interpolate=options.interpolate,
            cells=options.cells,
            error=options.error,
            variables=options.variables,
            notebook=options.notebook,
        )
    except Exception as error:  # context is gathered from user objects: anything can raise
        raise AmplifierUserError(
            f"could not gather the notebook context: {one_line(error)}"
        ) from None
    for line in prepared.notices:
        view.notice(line)
    if prepared.sent:
        show_context_sent(view, prepared.sent_line())
    cell_id = current_cell_id(shell)
    if getattr(options, "child", None):  # a child session has its own conversation
        return prepared.text, None
    if ks.cell_turns.kind(cell_id, await ks.messages()) == "append":
        view.notice(RERUN_APPENDS)
    return prepared.text, cell_id


def show_context_sent(view: RunView, summary: str) -> None:
    """Say what notebook context went with the prompt (views without the method: a notice)."""
    method = getattr(view, "context_sent", None)
    if method is not None:
        method(summary)
    else:
        view.notice(f"sent: {summary}")


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
