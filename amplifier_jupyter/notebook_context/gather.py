"""The notebook context a ``%%amplifier`` cell asked for, as prompt sections.

Each flag adds one section (``--cells``, ``--error [N]``, ``--vars``,
``--notebook``); each section adds a few words to the "sent:" line the user
sees, and anything that could not be sent becomes a one-line notice. With the
live notebook (read through the bridge by the caller), ``--cells`` and
``--notebook`` use it and the "sent:" line says "live"; without it they use the
kernel's history (the "sent:" line says "kernel history") and the saved file (it
says when the file was saved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.images import ImageSet, is_image_value
from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT, cut
from amplifier_jupyter.notebook_context.cellspec import CellSpec, describe_counts
from amplifier_jupyter.notebook_context.history import (
    CellRecord,
    cell_record,
    current_count,
    executed_counts,
)
from amplifier_jupyter.notebook_context.live import LiveNotebook, render_live
from amplifier_jupyter.notebook_context.references import UnresolvedReference, resolve
from amplifier_jupyter.notebook_context.saved_notebook import (
    NoSavedNotebook,
    SavedNotebook,
    notebook_path,
    read_notebook,
    render_notebook,
)
from amplifier_jupyter.notebook_context.summaries import label, summarize
from amplifier_jupyter.notebook_context.tracebacks import (
    format_exception,
    format_stored,
    last_exception,
)

CELLS_LIMIT = 24_000


@dataclass
class GatheredContext:
    """Prompt sections, the parts of the "sent:" line, notices, and the images sent."""

    sections: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    images: ImageSet = field(default_factory=ImageSet)


def _saved(context: GatheredContext, *, quiet: bool) -> SavedNotebook | None:
    path = notebook_path()
    if path is None:
        if not quiet:
            context.notices.append(
                "--notebook: this kernel does not know its notebook file (it is named only "
                "under jupyter-server; save the notebook, or use --cells)"
            )
        return None
    try:
        return read_notebook(path)
    except NoSavedNotebook as error:
        if not quiet:
            context.notices.append(f"--notebook: {error}")
        return None


def _cells(
    shell: Any,
    spec: CellSpec,
    saved: SavedNotebook | None,
    ctx: GatheredContext,
    live: LiveNotebook | None = None,
) -> None:
    executed = executed_counts(shell)
    chosen = spec.select(executed)
    missing = [n for n in spec.wanted() if n not in executed]
    if missing:
        now = current_count(shell)
        hint = f" (this cell is [{now}])" if now in missing else ""
        ctx.notices.append(f"--cells: no earlier cell [{describe_counts(missing)}]{hint}")
    if not chosen:
        return
    blocks: list[str] = []
    sent: list[int] = []
    size = 0
    for count in chosen:
        block = cell_record(shell, count, saved, ctx.images, live).render()
        if blocks and size + len(block) > CELLS_LIMIT:
            rest = chosen[len(sent) :]
            ctx.notices.append(
                f"--cells: cells [{describe_counts(rest)}] not sent: over the "
                f"{CELLS_LIMIT:,}-character bound, narrow --cells"
            )
            break
        blocks.append(block)
        sent.append(count)
        size += len(block)
    where = "" if live is None else ", as the live notebook shows them, unsaved edits included"
    ctx.sections.append(
        f"## Cells [{describe_counts(sent)}] (source, printed output, result, error{where})\n\n"
        + "\n\n".join(blocks)
    )
    live_mark = " (kernel history)" if live is None else " (live)"
    ctx.sent.append(f"cell{'s' if len(sent) > 1 else ''} {describe_counts(sent)}{live_mark}")


def _error(ctx: GatheredContext) -> None:
    error = last_exception()
    if error is None:
        ctx.notices.append("--error: no error to send, nothing has raised in this kernel yet")
        return
    ctx.sections.append(f"## Last error\n\n{format_exception(error)}")
    ctx.sent.append(f"last error {type(error).__name__}")


def _cell_error(
    shell: Any,
    count: int,
    saved: SavedNotebook | None,
    ctx: GatheredContext,
    live: LiveNotebook | None = None,
) -> None:
    """``--error N``: cell [N]'s source and the error it showed (from the live notebook,
    the kernel's history or the saved file), whether or not it was the last to raise.

    After a restart the counts start again at 1, and the notebook still shows the
    earlier kernel's outputs: an error the live notebook shows as [N] that is not this
    kernel's cell [N] (none ran, or it has another source and no error) is sent as the
    notebook shows it, with its cell id, which ``notebook_edit`` takes."""
    ran = count in executed_counts(shell)
    record = cell_record(shell, count, saved, None, live) if ran else None
    heading = f"## The error of cell [{count}]"
    before_restart = ""
    if record is None or not record.error:
        earlier = _shown_from_an_earlier_kernel(live, count, record)
        if earlier is not None:
            cell_id, record = earlier
            heading += f" (cell id {cell_id}; its output is from before the kernel restarted)"
            before_restart = " from before the restart"
        elif record is None:
            now = current_count(shell)
            hint = " (this cell)" if count == now else f" (this cell is [{now}])"
            ctx.notices.append(
                f"--error {count}: no earlier cell [{count}] ran in this kernel{hint}"
            )
            return
        else:
            ctx.notices.append(
                f"--error {count}: cell [{count}] shows no error (plain --error sends the last one)"
            )
            return
    record.output = record.result = None  # the error is the point; --cells sends the rest
    ctx.sections.append(f"{heading}\n\n{record.render()}")
    what = f" {record.error_name}" if record.error_name else ""
    ctx.sent.append(f"error of cell {count}{what}{before_restart}")


def _shown_from_an_earlier_kernel(
    live: LiveNotebook | None, count: int, kernels: CellRecord | None
) -> tuple[str, CellRecord] | None:
    """The cell the live notebook shows as [count] with an error output that is not this
    kernel's cell [count] (the newest such cell), as (its id, its record)."""
    if live is None:
        return None
    for cell in reversed(live.cells):
        if cell.cell_type != "code" or cell.execution_count != count:
            continue
        source = cut(cell.source, SUMMARY_LIMIT)
        if kernels is not None and source.strip() == kernels.source.strip():
            continue  # this kernel's own cell [count], which showed no error
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if not errors:
            continue
        record = CellRecord(count=count, source=source)
        record.error = format_stored(errors[0])
        record.error_name = errors[0].get("ename")
        record.notes = [cut(n.source, SUMMARY_LIMIT) for n in live.notes_above(cell.id)]
        return cell.id, record
    return None


def _variables(namespace: dict[str, Any], names: list[str], ctx: GatheredContext) -> None:
    blocks = []
    for name in names:
        try:
            value = resolve(name, namespace)
        except UnresolvedReference as error:
            ctx.notices.append(f"--vars: {name} not sent: {error}")
            continue
        if is_image_value(value):
            shown = ctx.images.add_value(value, name)
        else:
            shown = summarize(value, SUMMARY_LIMIT)
        blocks.append(f"### {name} ({label(value)})\n{shown}")
        ctx.sent.append(f"{name} ({label(value)})")
    if blocks:
        ctx.sections.append("## Variables\n\n" + "\n\n".join(blocks))


def _notebook(saved: SavedNotebook, ctx: GatheredContext) -> None:
    when = saved.saved_when()
    ctx.sections.append(
        f"## The saved notebook {saved.path.name} ({when}; edits since then are not in it)\n\n"
        + render_notebook(saved)
    )
    ctx.sent.append(f"notebook {saved.path.name} (as {when})")


def _live_notebook(live: LiveNotebook, ctx: GatheredContext) -> None:
    ctx.sections.append(
        f"## The live notebook {live.name} (as open in the frontend now, unsaved edits "
        "and Markdown included)\n\n" + render_live(live)
    )
    ctx.sent.append(f"notebook {live.name} (live)")


def gather(
    shell: Any,
    *,
    cells: CellSpec | None = None,
    error: bool = False,
    error_cell: int | None = None,
    variables: list[str] | None = None,
    notebook: bool = False,
    images: ImageSet | None = None,
    live: LiveNotebook | None = None,
) -> GatheredContext:
    """Build the sections the flags asked for, in a fixed order (``images``: where the
    images found go, after any already there; a fresh set by default; ``live``: the
    notebook as the frontend shows it, when the bridge read it)."""
    context = GatheredContext() if images is None else GatheredContext(images=images)
    quiet = not notebook or live is not None
    wants_saved = notebook or cells or error_cell is not None
    saved = _saved(context, quiet=quiet) if wants_saved else None
    if cells is not None:
        _cells(shell, cells, saved, context, live)
    if error_cell is not None:
        _cell_error(shell, error_cell, saved, context, live)
    elif error:
        _error(context)
    if variables:
        _variables(getattr(shell, "user_ns", {}), variables, context)
    if notebook and live is not None:
        _live_notebook(live, context)
    elif notebook and saved is not None:
        _notebook(saved, context)
    return context


def compose(prompt: str, sections: list[str]) -> str:
    """The text sent: the notebook context first, the user's words last.

    Models answer long-context questions best with the question at the end.
    """
    if not sections:
        return prompt
    body = "\n\n".join(sections)
    return (
        "<notebook_context>\nContext from the user's Jupyter notebook, sent with this prompt.\n\n"
        f"{body}\n</notebook_context>\n\n{prompt}"
    )
