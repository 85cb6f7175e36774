"""What a ``%amplifier`` line does: the dispatcher, with one module per section of
``%amplifier help`` (``plan``, ``run``, ``replay``, ``sessions``, ``modules``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from amplifier_jupyter.cell.options import CELL_HELP
from amplifier_jupyter.commands import modules, plan, replay, run, sessions
from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession, kernel_session
from amplifier_jupyter.ui.view import complain

Command = Callable[[KernelSession, str, dict[str, Any]], Awaitable[None]]

# In the order of %amplifier help.
SECTIONS = (plan, run, replay, sessions, modules)
LINE_USAGE = "usage: %amplifier " + " | ".join(section.USAGE for section in SECTIONS)
HELP = "\n".join([CELL_HELP, *(section.HELP for section in SECTIONS), plan.OFFLINE])


async def _help(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    print(HELP)


COMMANDS: dict[str, Command] = {
    **{name: command for section in SECTIONS for name, command in section.COMMANDS.items()},
    "help": _help,
}


async def run_line(line: str, namespace: dict[str, Any] | None = None) -> None:
    """What a ``%amplifier ...`` line does (awaited by the input transformer)."""
    if namespace is None:
        from amplifier_jupyter._ipython.shell import user_namespace

        namespace = user_namespace()
    name, _, rest = line.strip().partition(" ")
    command = COMMANDS.get(name)
    if command is None:
        complain(f"unknown subcommand {name!r}. {LINE_USAGE}" if name else LINE_USAGE)
        return
    try:
        await command(kernel_session(), rest, namespace)
    except AmplifierUserError as error:
        complain(str(error))
