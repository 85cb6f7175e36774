"""Parsing ``%%amplifier`` options: one usage line on any mistake."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass

from .errors import AmplifierUserError

CELL_USAGE = "usage: %%amplifier [--model ID] [--out NAME] (the prompt goes on the next lines)"


class UsageError(AmplifierUserError):
    """Bad magic options; the message is a usage line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}. {self.usage}")


@dataclass
class CellOptions:
    """What a ``%%amplifier`` line asked for."""

    model: str | None = None
    out: str = "_amplifier"


def _cell_parser() -> _Parser:
    parser = _Parser(prog="%%amplifier", usage=CELL_USAGE, add_help=False)
    parser.add_argument("--model")
    parser.add_argument("--out", default="_amplifier")
    return parser


def split_args(line: str) -> list[str]:
    """Shell-like splitting with one clear line for unbalanced quotes."""
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(f"{error} in the magic's options. {CELL_USAGE}") from None


def parse_cell_options(line: str) -> CellOptions:
    """Parse the text after ``%%amplifier`` on the first line."""
    namespace = _cell_parser().parse_args(split_args(line))
    if not namespace.out.isidentifier():
        raise UsageError(f"--out needs a Python name, not {namespace.out!r}. {CELL_USAGE}")
    return CellOptions(model=namespace.model, out=namespace.out)
