"""The kernel's replay setting: the mode, the record file, what was replayed and called.

The mode starts from ``AMPLIFIER_JUPYTER_REPLAY`` (``on``, ``strict`` or ``off``; unset:
``off``, so interactive work calls the model as it always did) and the file from
``AMPLIFIER_JUPYTER_REPLAY_FILE``; ``%amplifier replay MODE [FILE]`` sets both. Without
a file named, the file is the notebook's (``JPY_SESSION_NAME``, which jupyter-server
sets); where the kernel cannot name its notebook (nbclient, nbval, papermill), the
one ``*.ipynb.amplifier-replay.jsonl`` in the working directory, else
``amplifier-replay.jsonl`` there.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.replay.store import FALLBACK_NAME, SUFFIX, RecordFile, record_path_for

MODES = ("off", "on", "strict")
MODE_ENV = "AMPLIFIER_JUPYTER_REPLAY"
FILE_ENV = "AMPLIFIER_JUPYTER_REPLAY_FILE"


def default_record_path(cwd: Path | None = None) -> Path:
    """The record file when none was named (see the module docstring)."""
    from amplifier_jupyter.notebook_context.saved_notebook import notebook_path

    notebook = notebook_path()
    if notebook is not None:
        return record_path_for(notebook)
    here = cwd or Path.cwd()
    found = sorted(here.glob("*.ipynb" + SUFFIX))
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = ", ".join(p.name for p in found[:3])
        raise AmplifierUserError(
            f"this kernel cannot tell which notebook it runs, and several record files are "
            f"here ({names}): name one, e.g. %amplifier replay strict {found[0].name}"
        )
    return here / FALLBACK_NAME


@dataclass
class Counts:
    """Model calls of this kernel, replayed and live, and what they cost."""

    replayed: int = 0
    replayed_recorded_cost: Decimal = Decimal("0")
    live: int = 0
    live_cost: Decimal = Decimal("0")
    recorded: int = 0

    def describe(self) -> str:
        then = f"; ${self.replayed_recorded_cost:.4f} when recorded" if self.replayed else ""
        return (
            f"{self.replayed} replayed ($0{then}), {self.live} live (${self.live_cost:.4f}), "
            f"{self.recorded} recorded"
        )


@dataclass
class ReplayState:
    """The mode and file of this kernel's replay (one per kernel: :func:`replay_state`)."""

    mode: str = "off"
    path: Path | None = None
    counts: Counts = field(default_factory=Counts)
    # Set for the cell running with --fresh: its calls go to the model and replace records.
    fresh: bool = False
    # The execution count of the cell running now (for records and errors).
    cell: int | None = None
    # The line of the call strict refused in this cell (the cell fails with it).
    missing: str | None = None
    _file: RecordFile | None = None
    _said_once: bool = False

    def set(self, mode: str, path: str | Path | None = None) -> None:
        mode = mode.lower()
        if mode not in MODES:
            raise AmplifierUserError(
                f"the replay mode is on, strict or off, not {mode!r}. usage: "
                "%amplifier replay [on|strict|off] [FILE]"
            )
        self.mode = mode
        if path is not None:
            self.path = Path(path).expanduser()
            self._file = None

    @property
    def active(self) -> bool:
        return self.mode != "off"

    def record_file(self) -> RecordFile:
        """The record file, found on first use (the notebook's, unless one was named)."""
        if self._file is None:
            path = self.path or default_record_path()
            self.path = path
            self._file = RecordFile(path)
        self._file.load()
        return self._file

    def first_notice(self) -> str | None:
        """Once per kernel, when replay is turned on: what the file holds."""
        if self._said_once or not self.active:
            return None
        self._said_once = True
        return (
            "the record file holds your prompts, the data they interpolate and tool "
            "outputs: read it before you share or commit it"
        )

    def describe(self) -> str:
        if not self.active:
            return "off (every call goes to the model; %amplifier replay on records and replays)"
        try:
            records = len(self.record_file())
            where = f"{_shown_path(self.path)} ({records} recorded calls)"
        except (AmplifierUserError, ValueError, OSError) as error:
            where = str(error)
        return f"{self.mode} · {where} · this kernel: {self.counts.describe()}"


def _shown_path(path: Path | None) -> str:
    """The file relative to the working directory when it is under it (as a notebook's is)."""
    if path is None:
        return "?"
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


_STATE: ReplayState | None = None


def replay_state() -> ReplayState:
    """The kernel's replay state (the environment's setting at first use)."""
    global _STATE
    if _STATE is None:
        _STATE = ReplayState()
        mode = os.environ.get(MODE_ENV, "").strip()
        if mode:
            _STATE.set(mode, os.environ.get(FILE_ENV) or None)
        elif os.environ.get(FILE_ENV):
            _STATE.path = Path(os.environ[FILE_ENV]).expanduser()
    return _STATE


@contextlib.contextmanager
def replay_cell(fresh: bool = False) -> Iterator[ReplayState]:
    """For the run of one ``%%amplifier`` cell: its execution count, and ``--fresh``."""
    state = replay_state()
    from amplifier_jupyter._ipython.shell import current_shell

    shell = current_shell()
    # While a cell runs, IPython's execution_count is already the next cell's.
    count = getattr(shell, "execution_count", None) if shell is not None else None
    state.cell = count - 1 if isinstance(count, int) and count > 0 else None
    state.fresh = fresh
    state.missing = None
    try:
        yield state
    finally:
        state.fresh = False
        state.cell = None
