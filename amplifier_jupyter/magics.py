"""Registering ``%%amplifier`` / ``%amplifier`` and turning them into awaiting cells.

A cell magic that returns a coroutine is not awaited (docs/design.md, fact 12), so
an input transformer rewrites ``%%amplifier ARGS`` + body into a top-level
``await``: ipykernel then runs the cell on its own event loop, where widget
clicks are still dispatched while it waits (fact 11). Top-level
``%amplifier ...`` lines become awaits the same way. Nothing here imports
amplifier_core: loading the extension stays light.
"""

from __future__ import annotations

import asyncio
import io
import tokenize
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

CELL_PREFIX = "%%amplifier"
LINE_PREFIX = "%amplifier"


def _is_magic_line(line: str, prefix: str) -> bool:
    return line.startswith(prefix) and line[len(prefix) : len(prefix) + 1] in ("", " ", "\t", "\n")


def _inside_strings(lines: list[str]) -> set[int]:
    """Indexes of the lines that continue a multi-line string (their text is not code)."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            (start, _), (end, _) = token.start, token.end
            inside.update(range(start, end))  # rows are 1-based: these are the lines after start
    except (tokenize.TokenError, SyntaxError):
        pass  # unfinished input: IPython reports it; the lines seen so far are known
    return inside


def transform_cell(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: magic lines become awaits of our coroutines."""
    if lines and _is_magic_line(lines[0], CELL_PREFIX):
        args = lines[0][len(CELL_PREFIX) :].strip()
        body = "".join(lines[1:])
        return [
            "await __import__('amplifier_jupyter.cell.run', fromlist=['run_cell'])"
            f".run_cell({args!r}, {body!r})\n"
        ]
    if not any(_is_magic_line(line, LINE_PREFIX) for line in lines):
        return lines
    text = _inside_strings(lines)
    return [
        "await __import__('amplifier_jupyter.commands', fromlist=['run_line'])"
        f".run_line({line[len(LINE_PREFIX) :].strip()!r})\n"
        if _is_magic_line(line, LINE_PREFIX) and i not in text
        else line
        for i, line in enumerate(lines)
    ]


@magics_class
class AmplifierMagics(Magics):
    """``%amplifier`` and ``%%amplifier`` (normally reached through :func:`transform_cell`)."""

    @no_var_expand  # keep {...} plan literals and {var} prompts as written
    @line_cell_magic
    def amplifier(self, line: str, cell: str | None = None) -> Any:
        """Run a prompt (cell magic) or a command (line magic); see ``%amplifier help``.

        This path is taken only where the transformer did not apply (an
        indented line, ``run_cell_magic`` called directly): the work is then
        scheduled on the running loop, or run to completion where none runs.
        """
        shell = self.shell
        assert shell is not None  # a registered magic always has its shell
        if cell is not None:
            from amplifier_jupyter.cell.run import run_cell

            coroutine = run_cell(line, cell)
        else:
            from amplifier_jupyter.commands import run_line

            coroutine = run_line(line, shell.user_ns)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No loop runs (terminal IPython): IPython's own runner keeps the one
            # loop that top-level awaits use, so the session stays on it.
            return shell.loop_runner(coroutine)
        finished, value = _finish_now(coroutine)
        if finished:
            return value
        # It must wait for something: let it finish on the running loop.
        print(
            "amplifier: continuing in the background (write %amplifier at the start of a line "
            "to wait for it)"
        )
        return loop.create_task(_resume(coroutine, value))


def _finish_now(coroutine: Any) -> tuple[bool, Any]:
    """Run a coroutine that never suspends (status, help) to its end, synchronously."""
    try:
        yielded = coroutine.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, yielded


async def _resume(coroutine: Any, yielded: Any) -> Any:
    """Drive a coroutine that :func:`_finish_now` started, on the running loop.

    A suspended coroutine yields the future it waits on (or None for a bare
    yield); once that is done, sending None resumes it, and its own ``await``
    picks up the result or raises the error.
    """
    while True:
        if yielded is None:
            await asyncio.sleep(0)  # a bare yield asks to let the loop run once
        else:
            await asyncio.wait([yielded])
        try:
            yielded = coroutine.send(None)
        except StopIteration as stop:
            return stop.value


def register(shell: Any) -> None:
    """Register the magics and the transformer on an IPython shell (idempotent)."""
    shell.register_magics(AmplifierMagics)
    transformers = shell.input_transformers_cleanup
    if transform_cell not in transformers:
        transformers.append(transform_cell)


def unregister(shell: Any) -> None:
    """Undo :func:`register`'s transformer (``%unload_ext``)."""
    if transform_cell in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(transform_cell)
