"""``%amplifier help`` and the usage lines name every command and option there is."""

from __future__ import annotations

import re

import pytest

from amplifier_jupyter.cell.options import CELL_USAGE, _cell_parser
from amplifier_jupyter.commands import COMMANDS, HELP, LINE_USAGE


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_subcommand_is_in_help_and_usage(name: str) -> None:
    command_lines = [line for line in HELP.splitlines() if line.strip().startswith("%amplifier")]
    assert name in re.findall(r"[a-z]+", " ".join(command_lines))
    assert name in LINE_USAGE


def test_every_cell_option_is_in_help_and_usage() -> None:
    flags = [
        flag
        for action in _cell_parser()._actions
        for flag in action.option_strings
        if flag.startswith("--")
    ]
    assert len(flags) >= 10
    for flag in flags:
        assert flag in HELP, flag
        assert flag in CELL_USAGE, flag
