"""Importing, while the kernel is idle, what the first ``%%amplifier`` cell would import.

``%load_ext`` stays light by deferring its imports, so the first cell used to pay
for them: seconds (the anthropic SDK alone is over 3,000 modules). The warm-up
imports them beforehand, only while no cell runs (IPython's ``pre_execute``
and ``post_execute``, which nest), in two parts:

* **Other packages, in a thread** (amplifier-core, ipywidgets, the anthropic
  SDK): the big ones, which a loop callback could not cut into small pieces
  (a package's ``__init__`` imports its submodules). The thread pauses between
  modules while a cell runs, so it does not compete with the cell for the GIL,
  and goes on when the cell needs one of its modules (``import_gate.py``).
* **This package's modules, on the kernel's loop** once the thread is done: one
  module a callback, between cells. They are small, and the cells import them
  too, so importing them on the thread would risk the cycles ``import_gate.py``
  explains.

A cell that starts before the warm-up is done runs with the objects the cyclic
garbage collector tracks frozen (``gc.freeze()``, undone when the cell ends,
the warm-up ends or is stopped): the warm-up's imports leave tens of thousands
of new objects, which brought on a full collection, walking them all, during
the cell's own imports (docs/design.md, fact 42). A freeze someone else made
is left alone, and not undone.

Imports only: it never creates a session nor touches the kernel's (an
``AmplifierSession`` must be created and initialized on the kernel's loop,
docs/design.md, fact 2). A failed import is noted (:attr:`Warmup.failed`) and
left for the cell, which meets it again and says so.

A kernel shut down during the warm-up exits as before: the shutdown hook and
``atexit`` stop it, and the exit waits (at most :data:`EXIT_WAIT`) until the
thread is parked, so no daemon thread runs Python code while the interpreter
finalizes.

``AMPLIFIER_JUPYTER_WARMUP=0`` (or ``off``, ``false``, ``no``) in the kernel's
environment turns it off.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from amplifier_jupyter._ipython.import_gate import POLL, ImportGate

ENV = "AMPLIFIER_JUPYTER_WARMUP"
OFF = frozenset({"0", "off", "false", "no"})
# At exit, how long to wait for the thread to park.
EXIT_WAIT = 1.0

# A module name, or a function giving names, called when the warm-up reaches it.
Step = str | Callable[[], Iterable[str]]

_CURRENT: Warmup | None = None


def enabled() -> bool:
    """Whether the environment leaves the warm-up on (:data:`ENV`)."""
    return os.environ.get(ENV, "").strip().lower() not in OFF


def current() -> Warmup | None:
    """The warm-up this process started, if any."""
    return _CURRENT


def start(shell: Any, in_thread: Sequence[Step], on_loop: Sequence[Step]) -> Warmup | None:
    """Start warming up in a kernel (None: turned off, or not in a kernel).

    ``in_thread``: other packages' modules (never this package's, see the module
    docstring); ``on_loop``: this package's. Called from ``%load_ext``, in the
    cell that loads the extension when a loop runs: the warm-up starts when that
    cell ends.
    """
    global _CURRENT
    if not enabled() or shell is None or getattr(shell, "kernel", None) is None:
        return None
    if _CURRENT is not None and not _CURRENT.stopped:
        return _CURRENT
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None  # loaded at the kernel's start, before any cell
    warmup = Warmup(in_thread, on_loop, loop=loop, cells_running=0 if loop is None else 1)
    warmup.attach(shell)
    _CURRENT = warmup
    warmup.start()
    return warmup


def stop(shell: Any = None, *, park: bool = False) -> None:
    """Stop the warm-up (``%unload_ext``; ``park``: the shutdown hook); nothing when none runs."""
    if _CURRENT is not None:
        _CURRENT.stop(park=park)
        if shell is not None:
            _CURRENT.detach(shell)


class Warmup:
    """One warm-up: ``in_thread`` on a daemon thread, then ``on_loop`` on ``loop``."""

    def __init__(
        self,
        in_thread: Sequence[Step],
        on_loop: Sequence[Step] = (),
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        cells_running: int = 0,
    ) -> None:
        self._in_thread = list(in_thread)
        self._on_loop: Iterator[str] | None = None
        self._on_loop_steps = list(on_loop) if loop is not None else []
        self._loop = loop
        self._guard = threading.Lock()
        self._cells = cells_running
        self._idle = threading.Event()  # set while no cell runs and not stopped
        if cells_running == 0:
            self._idle.set()
        self._parked = threading.Event()  # set while the thread waits, and once it has ended
        self._parking = False
        self._gate = ImportGate(self._may_import, self._idle_wait)
        self._scheduled = False
        self._frozen = False  # gc.freeze() made by cell_started, for cell_ended to undo
        self.stopped = False
        self.thread_done = threading.Event()
        self.done = threading.Event()
        self.imported: list[str] = []
        self.failed: dict[str, str] = {}
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="amplifier-warmup", daemon=True)

    # -- the cells (IPython's events, on the main thread) ------------------

    def attach(self, shell: Any) -> None:
        shell.events.register("pre_execute", self.cell_started)
        shell.events.register("post_execute", self.cell_ended)

    def detach(self, shell: Any) -> None:
        for event, callback in (
            ("pre_execute", self.cell_started),
            ("post_execute", self.cell_ended),
        ):
            if callback in shell.events.callbacks.get(event, []):
                shell.events.unregister(event, callback)

    def cell_started(self) -> None:
        with self._guard:
            self._cells += 1
            self._idle.clear()
            if self._cells == 1 and not self.stopped and not self.done.is_set():
                self._freeze()

    def cell_ended(self) -> None:
        with self._guard:
            # An empty cell triggers post_execute without pre_execute.
            self._cells = max(0, self._cells - 1)
            if not self._cells:
                self._unfreeze()
            if self._cells or self.stopped:
                return
            self._idle.set()
        if self.thread_done.is_set():
            self._schedule()

    # -- control -------------------------------------------------------------

    def start(self) -> None:
        atexit.register(self.stop_for_exit)
        self.started_at = time.monotonic()
        self._thread.start()

    def stop(self, *, park: bool = False) -> None:
        """No more steps. ``park``: the thread also stops at its next module (the kernel is
        shutting down) and goes on only where another thread waits for one of its modules;
        otherwise it finishes the package it is in."""
        with self._guard:
            self.stopped = True
            self._parking = self._parking or park
            self._idle.clear()
            self._unfreeze()

    def stop_for_exit(self) -> None:
        """``atexit``: park the thread, and give it a moment to get there before finalization."""
        self.stop(park=True)
        self._parked.wait(EXIT_WAIT)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the warm-up has ended (done, or stopped)."""
        return self.done.wait(timeout)

    @property
    def alive(self) -> bool:
        """Whether the thread is still there (importing, or parked)."""
        return self._thread.is_alive()

    @property
    def parked(self) -> bool:
        """Whether the thread is waiting (for a cell to end), or has ended."""
        return self._parked.is_set()

    @property
    def seconds(self) -> float | None:
        """From the warm-up's start to its end (None while it runs)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    # -- the thread ----------------------------------------------------------

    def _run(self) -> None:
        gated = self._gate.install(threading.get_ident())
        try:
            if not gated:
                # Another thread's import could run inside a half-imported package.
                self.failed["import gate"] = "no audit hook (an earlier hook refused it)"
                return
            for step in self._in_thread:
                for name in self._names(step, self._turn):
                    if not self._turn():
                        return
                    self._import(name)
        finally:
            self._gate.uninstall()
            self._parked.set()
            atexit.unregister(self.stop_for_exit)
            self.thread_done.set()
            if self.stopped or not self._on_loop_steps:
                self._end()
            elif self._loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to do
                    self._loop.call_soon_threadsafe(self._schedule)

    def _may_import(self) -> bool:
        """Whether the thread may run its next module: no cell runs, or it was stopped
        without parking (it finishes its package, then ends)."""
        return self._idle.is_set() or (self.stopped and not self._parking)

    def _idle_wait(self, timeout: float) -> None:
        self._parked.set()
        self._idle.wait(timeout)
        self._parked.clear()

    def _turn(self) -> bool:
        """Between steps (holding no import lock): wait until idle; False once stopped."""
        while not self._idle.is_set():
            if self.stopped:
                return False
            self._idle_wait(POLL)
        return not self.stopped

    # -- on the loop, after the thread ---------------------------------------

    def _schedule(self) -> None:
        if self._scheduled or self.done.is_set() or self._loop is None:
            return
        self._scheduled = True
        self._loop.call_soon(self._loop_step)

    def _loop_step(self) -> None:
        """One of this package's modules, if no cell runs (a cell's end schedules the next)."""
        self._scheduled = False
        if self.stopped:
            self._end()
            return
        if not self._idle.is_set():
            return
        if self._on_loop is None:
            self._on_loop = (
                name for step in self._on_loop_steps for name in self._names(step, lambda: True)
            )
        try:
            name = next(self._on_loop, None)
            if name is not None:
                self._import(name)
        except Exception as error:  # nothing of the warm-up's may reach the kernel's loop
            self.failed["on the loop"] = _line(error)
            name = None
        if name is None:
            self._end()
            return
        self._schedule()

    # -- both ------------------------------------------------------------------

    def _names(self, step: Step, turn: Callable[[], bool]) -> Iterator[str]:
        """A step's module names, one at a time (a function may import as it goes)."""
        if isinstance(step, str):
            yield step
            return
        if not turn():
            return
        names = iter(step())
        while True:
            try:
                name = next(names)
            except StopIteration:
                return
            except Exception as error:
                self.failed[getattr(step, "__name__", repr(step))] = _line(error)
                return
            yield name

    def _import(self, name: str) -> None:
        if name in sys.modules:
            return
        try:
            importlib.import_module(name)
        except Exception as error:
            # The cell meets the same error in its own import, and says it there.
            self.failed[name] = _line(error)
        else:
            self.imported.append(name)

    def _end(self) -> None:
        if self.finished_at is None:
            self.finished_at = time.monotonic()
        with self._guard:
            self.done.set()
            self._unfreeze()

    # -- the collector during a cell -------------------------------------------

    def _freeze(self) -> None:
        """(Holding the guard.) Take every object there is out of the cyclic collector's
        reach until the cell ends, unless someone else's ``gc.freeze()`` is in place."""
        if not self._frozen and not gc.get_freeze_count():
            gc.freeze()
            self._frozen = True

    def _unfreeze(self) -> None:
        """(Holding the guard.) Give the collector back what :meth:`_freeze` took."""
        if self._frozen:
            self._frozen = False
            gc.unfreeze()


def _line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
