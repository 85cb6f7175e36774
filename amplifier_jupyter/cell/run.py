"""Running a ``%%amplifier`` cell: options, prompt, view, answer."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from amplifier_jupyter._ipython.interrupts import context_interruptible, interrupt_stops
from amplifier_jupyter._ipython.quick_display import display_raw
from amplifier_jupyter._ipython.shell import current_shell, user_namespace
from amplifier_jupyter.cell.code_answer import code_of, insert_code, with_code_request
from amplifier_jupyter.cell.options import CellOptions, parse_cell_options
from amplifier_jupyter.errors import AmplifierUserError, one_line
from amplifier_jupyter.notebook_context.guard import ContextInterrupted
from amplifier_jupyter.replay.provider import ReplayMissingError
from amplifier_jupyter.replay.state import replay_cell, replay_state
from amplifier_jupyter.session.kernel import BUSY_LINE, KernelSession, kernel_session
from amplifier_jupyter.session.plans import resolve_plan_spec
from amplifier_jupyter.ui.dollars import escape_currency
from amplifier_jupyter.ui.view import RunView, complain, say

EMPTY_CELL_HINT = "the cell is empty: write the prompt on the lines below %%amplifier"
RERUN_REPLACES = (
    "replaced the last turn: this cell's earlier prompt and answer left the conversation"
)
RERUN_APPENDS = (
    "this cell's earlier turn is no longer the latest: the new run is added at the end "
    "of the conversation (the earlier answer stays in it)"
)


def make_view(
    ks: KernelSession | None = None, *, background: bool = False, child: str | None = None
) -> RunView:
    """The view for this cell: the widget panel in a kernel, plain text in a terminal.

    ``child``: the cell runs in that child session, whose events are then the run's own.
    """
    from amplifier_jupyter.ui.environment import widgets_available

    if widgets_available():
        from amplifier_jupyter.ui.panel import PanelView

        stop = ks.stop if ks is not None else None
        return PanelView(stop, background=background, focus=child)
    from amplifier_jupyter.ui.text import TextView

    return TextView(background=background, focus=child)


async def run_cell(args: str, body: str) -> None:
    """What a ``%%amplifier`` cell does (the input transformer awaits this)."""
    ks = kernel_session()
    try:
        options = parse_cell_options(args)
    except AmplifierUserError as error:
        complain(str(error))
        return
    prompt = body.strip()
    if not prompt:
        say(EMPTY_CELL_HINT)
        return
    if ks.busy:
        complain(BUSY_LINE)
        return
    view: RunView = make_view(ks, background=options.background, child=options.child)
    shown = _shown_so_far(ks)
    ks.add_listener(view.on_event)
    _attach(ks, view)
    view.start(prompt)
    if options.out_refused:
        view.notice(options.out_refused)
    if options.variables or (options.interpolate and "{" in prompt):
        # The user's values are summarized next, and their code may hold the kernel:
        # the panel (its Stop) shows first.
        getattr(view, "show_now", lambda: None)()
    try:
        prompt, cell_id, images = await _notebook_context(ks, view, options, prompt)
    except AmplifierUserError as error:
        _detach(ks, view)
        view.fail(str(error))
        return
    except ContextInterrupted:
        # The interrupt came while the user's values were summarized: nothing was sent.
        _detach(ks, view)
        view.on_event("orchestrator:complete", {"status": "cancelled"})
        view.finish("")
        return
    if options.code:
        prompt = with_code_request(prompt)
    work = _execute(ks, view, options, prompt, cell_id, shown, images)
    if options.background:
        # The cell returns now; the panel goes on through widget state (docs/design.md, fact 13).
        ks.run_in_background(work)
        return
    # The interrupt handler belongs to the foreground cell only.
    with interrupt_stops(ks.stop):
        await work


async def _execute(
    ks: KernelSession,
    view: RunView,
    options: CellOptions,
    prompt: str,
    cell_id: str | None,
    shown: tuple[int, int],
    images: list[dict[str, Any]],
) -> str:
    """Run the prompt and show the outcome; returns it in one line (for ``%amplifier wait``)."""
    try:
        with replay_cell(options.fresh):
            if options.child:
                answer = await _execute_child(ks, options, prompt, view.notice, images)
            else:
                answer = await ks.execute(
                    prompt, model=options.model, cell_id=cell_id, images=images
                )
    except AmplifierUserError as error:
        missing = replay_state().missing
        if missing is not None and not options.background:
            # Replay strict: the cell itself fails (nbval, papermill stop here), in one line.
            _flush_notices(ks, view, *shown, said=missing)
            view.fail("replay strict: a model call is not on record (the line below says which)")
            raise ReplayMissingError(missing) from None
        _flush_notices(ks, view, *shown, said=str(error))
        view.fail(str(error))
        return str(error)
    except asyncio.CancelledError:
        view.fail("the run was cancelled")
        raise
    except Exception as error:
        # The view ends either way: a panel left "Working" would tick on after the cell.
        view.fail(one_line(error))
        if not options.background:
            raise
        # Nobody awaits a background run but the panel: it shows there, in one line.
        return one_line(error)
    finally:
        _detach(ks, view)
    value = answer
    if options.code and not view.stopped:
        value = code_of(answer)
        view.notice(await insert_code(value))
    _flush_notices(ks, view, *shown)
    view.finish(answer)
    if view.stopped:
        # No answer: like a failed run, a stopped one leaves the last answer bound.
        return "stopped"
    if not view.answer_shown:
        show_answer(answer)
    shell = current_shell()
    if shell is not None:
        shell.user_ns[options.out] = value  # --code: the code alone
    return "finished"


async def _execute_child(
    ks: KernelSession,
    options: CellOptions,
    prompt: str,
    notice: Callable[[str], None],
    images: list[dict[str, Any]],
) -> str:
    """``%%amplifier --child NAME [--config PLAN]``: resolve the plan, run, report notes."""
    plan = None
    if options.config:
        plan = resolve_plan_spec(options.config, user_namespace())
    name = options.child or ""
    known = ks.children.get(name)
    notes: list[str] = []
    try:
        return await ks.execute_child(
            name, prompt, plan=plan, model=options.model, on_note=notes.append, images=images
        )
    finally:
        child = ks.children.get(name)
        if child is not None and child is not known:
            # A new child: what its start had to say (a built-in standing in, a failure).
            notes += list(getattr(child.loader, "notices", []) or []) + child.load_failures
        for line in notes:
            notice(line)


def _shown_so_far(ks: KernelSession) -> tuple[int, int]:
    """How many session notices and load failures earlier cells already showed."""
    notices = len(ks.loader.notices) if ks.loader is not None and ks.session else 0
    return notices, len(ks.load_failures) if ks.session else 0


def _attach(ks: KernelSession, view: RunView) -> None:
    """For the run, questions and hook messages show in this view."""
    for system in (ks.approval_system, ks.display_system):
        if system is not None and hasattr(system, "host"):
            system.host = view


def _detach(ks: KernelSession, view: RunView) -> None:
    ks.remove_listener(view.on_event)
    for system in (ks.approval_system, ks.display_system):
        if getattr(system, "host", None) is view:
            system.host = None


async def _notebook_context(
    ks: KernelSession, view: RunView, options: CellOptions, prompt: str
) -> tuple[str, str | None, list[dict[str, Any]]]:
    """The prompt to send (interpolated, with the context the flags asked for), the
    cell's id and the image blocks that follow the text; tells the user what was sent
    and what was left as written.
    """
    from amplifier_jupyter.bridge import read_live
    from amplifier_jupyter.notebook_context import current_cell_id, prepare_prompt

    shell = current_shell()
    live, unread = (None, None)
    if options.cells is not None or options.notebook or options.error_cell is not None:
        live, unread = await read_live()  # the live notebook, where the lab extension is
    if unread:
        view.notice(unread)
    try:
        with context_interruptible():  # the user's __repr__ runs here: the interrupt must reach it
            prepared = prepare_prompt(
                shell,
                prompt,
                interpolate=options.interpolate,
                cells=options.cells,
                error=options.error,
                error_cell=options.error_cell,
                variables=options.variables,
                notebook=options.notebook,
                live=live,
            )
    except Exception as error:  # context is gathered from user objects: anything can raise
        raise AmplifierUserError(
            f"could not gather the notebook context: {one_line(error)}"
        ) from None
    for line in prepared.notices:
        view.notice(line)
    if prepared.sent or prepared.images:
        show_context_sent(view, prepared.sent_line(), [i.summary() for i in prepared.images])
    cell_id = current_cell_id(shell)
    images = prepared.image_blocks()
    if getattr(options, "child", None):  # a child session has its own conversation
        return prepared.text, None, images
    rerun = await ks.rerun_kind(cell_id)
    if rerun == "append":
        view.notice(RERUN_APPENDS)
    elif rerun == "replace":
        view.notice(RERUN_REPLACES)
    return prepared.text, cell_id, images


def show_context_sent(
    view: RunView, summary: str, images: list[dict[str, Any]] | None = None
) -> None:
    """Say what notebook context went with the prompt (views without the method: a notice).

    ``images``: what each image sent is (label, width, height, a thumbnail's data URI),
    set on the timeline's "sent:" entry where the view has a timeline.
    """
    method = getattr(view, "context_sent", None)
    if method is not None:
        method(summary)
    else:
        view.notice(f"sent: {summary}")
    timeline = getattr(view, "timeline", None)
    if images and timeline is not None and hasattr(timeline, "sent_images"):
        timeline.sent_images(images)
        redraw = getattr(view, "timeline_changed", None)
        if redraw is not None:
            redraw()  # the panel draws their thumbnails


def _flush_notices(
    ks: KernelSession, view: RunView, notices: int, failures: int, said: str = ""
) -> None:
    """Show what the session start had to say, once (``said``: the run's error, which
    may already name a module that did not load)."""
    if ks.loader is not None:
        for line in ks.loader.notices[notices:]:
            view.notice(line)
    for line in ks.load_failures[failures:]:
        if line in said:
            continue
        # Not a note: the run goes on without that module, and the user should see it.
        if getattr(view, "background", False) and getattr(view, "running", False):
            view.notice(f"{line} (the run went on without it)")
        else:
            complain(f"{line} (the run went on without it)")
    # A hook that fails on every event (each streamed delta) fails the same way many
    # times: one line each, with how often.
    for line, count in Counter(ks.hook_errors).items():
        view.notice(line if count == 1 else f"{line} ({count} times)")


def show_answer(answer: str) -> None:
    """The final answer as a Markdown output (readable where widgets are not).

    A raw bundle, not IPython's ``Markdown``: that one takes text that starts with
    ``http`` for a URL to download, and text that names a file for the file to read
    (a stat of the answer, on every cell).
    """
    display_raw(answer_bundle(answer))


def answer_bundle(answer: str) -> dict[str, str]:
    """The answer as Markdown (``$`` kept as text: ``ui/dollars.py``) and as plain text."""
    return {
        "text/markdown": escape_currency(answer) or "*(no answer)*",
        "text/plain": answer or "(no answer)",
    }
