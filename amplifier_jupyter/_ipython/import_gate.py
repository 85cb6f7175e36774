"""Imports in a background thread that pause between modules, and never make another
thread's import wait for nothing or fail.

A thread importing a package holds the import lock of every module it is inside.
Pausing it there (between cells, so it does not compete with the cell for the
GIL) is safe only if nobody needs those modules meanwhile:

* **A thread waiting for one of them** (a cell's ``import pydantic`` while the
  background thread is inside pydantic) has ``_ModuleLock.acquire`` as its
  innermost frame: the background thread goes on, at full speed since the other
  one waits, until nobody waits.
* **A thread about to import a submodule of a package still being imported**
  (``from anthropic.types import Message`` while the background thread is
  inside ``anthropic``) must not start: it would take the submodule's lock,
  the package's ``__init__`` in the background would need the submodule, and
  Python breaks such a cycle by handing one of them a partially initialized
  module ("cannot import name ... from partially initialized module"). So while
  the gate is in use, such an import first waits for the background thread to
  finish every module that is the name or a package above it.

That wait is an audit hook on the ``"import"`` event (``sys.addaudithook``),
which CPython raises on every thread when an ``import`` statement or
``__import__`` is about to look for a module that is not in ``sys.modules``,
before it takes the module's lock. A ``builtins.__import__`` wrapper, as this
gate used first, put a Python frame under every import statement while the
gate was in use, and a cell's ``import pandas`` during the warm-up made 2,697
``mmap`` and ``munmap`` calls against 434 with the hook (docs/design.md, fact
42). An audit hook cannot be removed: it is added once per process, and once
no gate is in use it returns at its first test.

What raises no ``"import"`` event, so the gate does not see it:

* A module already in ``sys.modules``. Python itself makes an import of one the
  background thread is still running wait for its lock (and the background
  thread goes on, see above); ``import a.b`` (no ``from``) also waits that way
  for ``a``, which it returns, so it never hands out a half-imported ``a``.
  ``from a.b import x``, with ``a.b`` done and ``a`` still running, gets ``x``
  from the whole ``a.b`` at once, ``a`` unfinished in ``sys.modules``.
* ``importlib.import_module("a.b")``, which does not pass through
  ``__import__`` (nor did it through the wrapper): with ``a`` half-imported by
  the background thread, ``a.b`` runs inside it, as it would with no gate. A
  finder cannot wait instead: ``find_spec`` runs holding the global import
  lock, which the background thread needs to go on.

The background thread must import only packages that never import the other
threads' modules (third-party ones, not this package): then it never waits for
them, and none of the waits above can be a cycle.

The thread's imports go through a finder of its own, first on ``sys.meta_path``
while the gate is in use and acting for that thread only: it finds what the
finders after it find and wraps the loader, which waits before the module's
body runs and puts the real loader back first, so nothing sees the wrapper
after the import.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import sys
import threading
from collections.abc import Callable
from typing import Any

# How often a waiting thread looks again.
POLL = 0.01

_LOCK_WAIT = importlib._bootstrap._ModuleLock.acquire.__code__  # type: ignore[attr-defined]
_PROBE = "amplifier_jupyter.import_gate"


def blocked_on_module_lock(ident: int | None) -> bool:
    """Whether the thread ``ident`` is waiting for a module's import lock."""
    frame = sys._current_frames().get(ident) if ident is not None else None
    return frame is not None and frame.f_code is _LOCK_WAIT


def others_blocked_on_module_lock(ident: int | None) -> bool:
    """Whether a thread other than ``ident`` is waiting for a module's import lock."""
    return any(
        other != ident and frame.f_code is _LOCK_WAIT
        for other, frame in sys._current_frames().items()
    )


class _HookState:
    """What the audit hook reads: the gate in use (None: return at once), and whether
    the hook has seen its probe (it is in place)."""

    __slots__ = ("gate", "added", "tried")

    def __init__(self) -> None:
        self.gate: ImportGate | None = None
        self.added = False
        self.tried = False


def _audit_hook(state: _HookState) -> Callable[[str, tuple[Any, ...]], None]:
    """The process's audit hook. A closure, not a function reading module globals: it
    runs at every audit event until the process ends, also while the interpreter
    clears modules' globals."""
    probe = _PROBE

    def hook(event: str, args: tuple[Any, ...]) -> None:
        gate = state.gate
        if gate is not None:
            if event == "import":
                gate.before_import(args[0])
        elif event == probe:
            state.added = True

    return hook


_STATE = _HookState()
_ADDING = threading.Lock()


def _hook_in_place() -> bool:
    """Add the audit hook once per process; whether it is there (an earlier hook may
    refuse new ones, and ``sys.addaudithook`` then says nothing)."""
    with _ADDING:
        if not _STATE.tried:
            _STATE.tried = True
            sys.addaudithook(_audit_hook(_STATE))
            with contextlib.suppress(Exception):  # an earlier hook's objection
                sys.audit(_PROBE)
        return _STATE.added


class ImportGate:
    """Lets one thread (the importing one) import only while :meth:`may_run` says so.

    ``may_run`` is read at each module the thread is about to run; while it is
    false the thread waits there, unless another thread needs it to go on.
    """

    def __init__(self, may_run: Callable[[], bool], wait: Callable[[float], Any]) -> None:
        self._may_run = may_run
        self._wait = wait  # waits up to its argument, returns early when may_run may change
        self._finished = threading.Condition()  # notified when the thread finishes a module
        self.thread: int | None = None
        self._running: set[str] = set()  # modules the thread has begun and not finished
        self._wanted = 0  # other threads waiting for the thread to finish a module
        self._wanted_lock = threading.Lock()
        self._finder = _Finder(self)

    # -- installing ------------------------------------------------------------

    def install(self, thread: int) -> bool:
        """Gate the imports of ``thread`` from now on (call it on that thread).

        False, and nothing gated, when the audit hook could not be added (an
        earlier hook refused it): other threads' imports could not wait.
        """
        if not _hook_in_place() or _STATE.gate is not None:
            return False
        self.thread = thread
        sys.meta_path.insert(0, self._finder)
        _STATE.gate = self
        return True

    def uninstall(self) -> None:
        if _STATE.gate is self:
            _STATE.gate = None
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        self.thread = None

    # -- the importing thread --------------------------------------------------

    def hold(self, name: str) -> None:
        """On the importing thread, before module ``name``'s body: wait until it may run."""
        while not self._may_run() and not self._wanted:
            if others_blocked_on_module_lock(self.thread):
                break
            self._wait(POLL)

    def running(self, name: str, running: bool) -> None:
        if running:
            self._running.add(name)
            return
        self._running.discard(name)
        with self._finished:
            self._finished.notify_all()

    # -- every other thread ----------------------------------------------------

    def before_import(self, name: str) -> None:
        """The audit hook, any thread: ``name`` (absolute) is not in ``sys.modules`` yet."""
        if self._running and threading.get_ident() != self.thread:
            self._wait_for_packages_of(name)

    def _wait_for_packages_of(self, name: str) -> None:
        """Wait while the importing thread runs ``name`` or a package above it."""
        if not isinstance(name, str) or not name:
            return
        parts = name.split(".")
        names = [".".join(parts[: i + 1]) for i in range(len(parts))]
        if not self._runs_any(names):
            return
        with self._wanted_lock:
            self._wanted += 1
        try:
            while self._runs_any(names):
                # Waiting for us (a cycle through a module we hold): let Python sort it out.
                if blocked_on_module_lock(self.thread):
                    return
                with self._finished:
                    self._finished.wait(POLL)
        finally:
            with self._wanted_lock:
                self._wanted -= 1

    def _runs_any(self, names: list[str]) -> bool:
        return any(name in self._running for name in names)


class _Finder:
    """For the gated thread only: what the finders after it find, with a waiting loader."""

    def __init__(self, gate: ImportGate) -> None:
        self._gate = gate
        self._finding = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if threading.get_ident() != self._gate.thread or self._finding:
            return None
        self._finding = True
        try:
            spec = _found_after(self, name, path, target)
        finally:
            self._finding = False
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        spec.loader = _WaitingLoader(loader, self._gate)
        return spec

    def invalidate_caches(self) -> None:
        """Nothing cached here (``importlib.invalidate_caches`` calls every finder)."""


def _found_after(finder: Any, name: str, path: Any, target: Any) -> Any:
    """The spec the finders after ``finder`` on ``sys.meta_path`` give for ``name``."""
    finders = list(sys.meta_path)
    after = finders[finders.index(finder) + 1 :] if finder in finders else finders
    for other in after:
        find = getattr(other, "find_spec", None)
        if find is None:
            continue
        spec = find(name, path, target)
        if spec is not None:
            return spec
    return None


class _WaitingLoader:
    """A module's own loader that first waits at the gate (and then is gone from the module)."""

    def __init__(self, loader: Any, gate: ImportGate) -> None:
        self._loader = loader
        self._gate = gate

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: Any) -> None:
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self._loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self._loader
        name = getattr(spec, "name", None) or module.__name__
        # Running from here: it is in sys.modules, not yet whole.
        self._gate.running(name, True)
        try:
            self._gate.hold(name)
            self._loader.exec_module(module)
        finally:
            self._gate.running(name, False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
