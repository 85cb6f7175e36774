"""Parsing ``%%amplifier`` options: one usage line on any mistake."""

from __future__ import annotations

import argparse
import difflib
import functools
import keyword
import re
import shlex
from dataclasses import dataclass, field

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.notebook_context.cellspec import CellSpec, CellSpecError, parse_cell_spec
from amplifier_jupyter.notebook_context.references import is_reference

CELL_USAGE = (
    "usage: %%amplifier [--model ID] [--out NAME] [--cells 3-5|3,7|-2:] [--error [N]] [--code] "
    "[--vars a,b] [--notebook] [--no-interpolate] [--background] [--fresh] "
    "[--child NAME [--config PLAN]] "
    "(the prompt goes on the next lines)"
)
# The first section of %amplifier help: what a cell's options do.
CELL_HELP = """\
Run a prompt
  %%amplifier [--model ID] [--out NAME]   the cell's text is the prompt ({name} takes a value from
                                          the kernel); the answer shows as Markdown and is bound
                                          to _amplifier (or NAME); --model: this cell only
    --cells 3-5 | 3,7 | -2:               also send earlier cells (source, output, error)
    --error                               also send the last exception and its traceback
    --error N                             also send cell [N]'s source and the error it showed
    --code                                ask for code: it goes into a new cell below this one
                                          (not run; without the lab extension it is shown)
    --vars a,b                            also send summaries of these variables
    --notebook                            also send the saved notebook
    --no-interpolate                      send the text exactly as written
    --background                          return at once; the panel goes on (%amplifier wait)
    --fresh                               call the model even if replay has this cell on record,
                                          and record the new answer in its place
    --child NAME [--config PLAN]          run in the child session NAME (again: continue it);
                                          PLAN as for %amplifier config
In JupyterLab with the lab extension (the notebook bridge)
  --cells, --notebook, the notebook tool  read the live notebook, unsaved edits included
  notebook_insert, notebook_edit, notebook_run
                                          the agent's writes, each shown on a card (the new
                                          cell, or a diff) before it is made
  Insert below, Copy                      under an answer's code blocks: a new cell below the
                                          prompt cell (not run), or the clipboard
  Ask Amplifier, Fix                      under an error output: a %%amplifier --error N cell
                                          below it, run (Fix: the agent's edit, as a diff)
  without the extension                   no buttons; --code and --error N work as typed"""


DEFAULT_OUT = "_amplifier"
# Names IPython binds and reads back: the input and output history, the shell itself.
SHELL_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit", "_", "__", "___"})
SHELL_NAME = re.compile(r"_i(i*|\d+|h)|_oh|_dh|_\d+")


def out_name_problem(name: str) -> str | None:
    """Why ``--out NAME`` cannot take the answer (None: it can).

    A name must be a Python identifier that is not a keyword, not a dunder
    (``__builtins__`` bound to a string breaks every later cell) and not one
    of the names the shell needs.
    """
    if not name.isidentifier():
        return "is not a Python name"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name in SHELL_NAMES or SHELL_NAME.fullmatch(name):
        return "is a name IPython needs"
    if name.startswith("__") and name.endswith("__"):
        return "is a dunder name Python needs"
    return None


class UsageError(AmplifierUserError):
    """Bad magic options; the message is a usage line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}{self._did_you_mean(message)}. {self.usage}")

    def _did_you_mean(self, message: str) -> str:
        """`` (did you mean --model?)`` for an unknown option close to a known one."""
        if not message.startswith("unrecognized arguments:"):
            return ""
        known = [o for action in self._actions for o in action.option_strings]
        for word in message.removeprefix("unrecognized arguments:").split():
            if word.startswith("-"):
                close = difflib.get_close_matches(word.split("=", 1)[0], known, n=1, cutoff=0.75)
                if close:
                    return f" (did you mean {close[0]}?)"
        return ""


@dataclass
class CellOptions:
    """What a ``%%amplifier`` line asked for."""

    model: str | None = None
    out: str = DEFAULT_OUT
    # Why the --out name given was not used (the answer goes to DEFAULT_OUT instead).
    out_refused: str | None = None
    # Sent with the prompt: earlier cells, the last error, variables, the saved file.
    cells: CellSpec | None = None
    error: bool = False
    # --error N: the error cell [N] showed (with its source), not only the last exception.
    error_cell: int | None = None
    # --code: the answer is code for a new cell below the prompt cell.
    code: bool = False
    variables: list[str] = field(default_factory=list)
    notebook: bool = False
    interpolate: bool = True
    # The run goes on as a task; the cell returns at once (%amplifier wait awaits it).
    background: bool = False
    # Call the model even where replay has the call on record; replace the record.
    fresh: bool = False
    # Run in the child session NAME, with its own plan if given.
    child: str | None = None
    config: str | None = None


@functools.cache
def _cell_parser() -> _Parser:
    """The options' parser, built once (building it took about 0.6 ms a cell: argparse
    looks up its messages' translations for every argument); parsing leaves it as it was."""
    parser = _Parser(prog="%%amplifier", usage=CELL_USAGE, add_help=False)
    parser.add_argument("--model")
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--cells")
    parser.add_argument("--error", nargs="?", const="", default=None)
    parser.add_argument("--code", action="store_true")
    parser.add_argument("--vars", default="")
    parser.add_argument("--notebook", action="store_true")
    parser.add_argument("--no-interpolate", dest="interpolate", action="store_false")
    parser.add_argument("--background", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--config")
    return parser


def _join_dash_values(args: list[str]) -> list[str]:
    """``--cells -2:`` reads as a flag to argparse; pass it as ``--cells=-2:``."""
    joined: list[str] = []
    for arg in args:
        if joined and joined[-1] == "--cells" and arg.startswith("-") and arg[1:2].isdigit():
            joined[-1] = f"--cells={arg}"
        else:
            joined.append(arg)
    return joined


_COUNT = re.compile(r"\[?(\d+)\]?")


def _error_cell(value: str | None) -> int | None:
    """``--error N``'s execution count (None for a plain ``--error``)."""
    if not value:
        return None
    found = _COUNT.fullmatch(value.strip())
    if found is None or int(found.group(1)) < 1:
        raise UsageError(
            f"--error takes the execution count of the failing cell (e.g. --error 3), "
            f"not {value!r}. {CELL_USAGE}"
        )
    return int(found.group(1))


def _variable_names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if not is_reference(name):
            raise UsageError(
                f"--vars needs names like df or df.columns, not {name!r}. {CELL_USAGE}"
            )
    return names


def _take_literal(line: str, flag: str) -> tuple[str, str | None]:
    """Cut ``FLAG {...}`` out of the line: a plan literal keeps its quotes and spaces."""
    start = line.find(f"{flag} {{")
    if start < 0:
        return line, None
    opening = start + len(flag) + 1
    depth = 0
    for i in range(opening, len(line)):
        depth += {"{": 1, "}": -1}.get(line[i], 0)
        if depth == 0:
            return line[:start] + line[i + 1 :], line[opening : i + 1]
    raise UsageError(f"{flag}: the {{...}} plan is not closed. {CELL_USAGE}")


def split_args(line: str, usage: str = CELL_USAGE) -> list[str]:
    """Shell-like splitting with one clear line (ending in ``usage``) for unbalanced quotes."""
    line, literal = _take_literal(line, "--config")
    try:
        args = shlex.split(line)
    except ValueError as error:
        raise UsageError(f"{error} in the magic's options. {usage}") from None
    return [*args, "--config", literal] if literal is not None else args


def parse_cell_options(line: str) -> CellOptions:
    """Parse the text after ``%%amplifier`` on the first line."""
    namespace = _cell_parser().parse_args(_join_dash_values(split_args(line)))
    out, out_refused = namespace.out, None
    problem = out_name_problem(out)
    if problem is not None:
        # The prompt still runs: only the name is refused, and the answer is not lost.
        out_refused = (
            f"--out {out} {problem}: the answer is bound to {DEFAULT_OUT}; "
            "give --out another name (e.g. --out answer)"
        )
        out = DEFAULT_OUT
    try:
        cells = parse_cell_spec(namespace.cells) if namespace.cells is not None else None
    except CellSpecError as error:
        raise UsageError(f"{error}. {CELL_USAGE}") from None
    if namespace.config is not None and namespace.child is None:
        raise UsageError(f"--config goes with --child NAME. {CELL_USAGE}")
    if namespace.child is not None and not namespace.child.strip():
        raise UsageError(f"--child needs a name. {CELL_USAGE}")
    return CellOptions(
        child=namespace.child,
        config=namespace.config,
        model=namespace.model,
        out=out,
        out_refused=out_refused,
        cells=cells,
        error=namespace.error is not None,
        error_cell=_error_cell(namespace.error),
        code=namespace.code,
        variables=_variable_names(namespace.vars),
        notebook=namespace.notebook,
        interpolate=namespace.interpolate,
        background=namespace.background,
        fresh=namespace.fresh,
    )
