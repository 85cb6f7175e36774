"""The installed Amplifier modules (``amplifier.modules`` entry points), read once per
state of the environment.

Reading entry points opens every installed distribution's metadata (about 150 files
in this project's test environment: about 9 ms in a kernel, measured), and each new
session's loader read them again. The read is kept until a directory on ``sys.path``
changes: an install or uninstall adds or removes a ``.dist-info`` directory (or a
``.pth`` file) there, which changes the directory's modification time, and a change
to ``sys.path`` itself counts too. The warm-up reads them before the first cell
(``cell/first_imports.py``).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys

Stamp = tuple[tuple[str, int | None], ...]

_read: tuple[Stamp, dict[str, importlib.metadata.EntryPoint]] | None = None


def _stamp() -> Stamp:
    stamp: list[tuple[str, int | None]] = []
    for entry in sys.path:
        try:
            stamp.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            stamp.append((entry, None))
    return tuple(stamp)


def installed_modules() -> dict[str, importlib.metadata.EntryPoint]:
    """The entry points by module id, the first of each id as amplifier-core takes it.

    A new dict each call (the caller may keep it); the entry points are shared."""
    global _read
    stamp = _stamp()
    if _read is None or _read[0] != stamp:
        found: dict[str, importlib.metadata.EntryPoint] = {}
        for entry in importlib.metadata.entry_points(group="amplifier.modules"):
            found.setdefault(entry.name, entry)
        _read = (stamp, found)
    return dict(_read[1])


def forget() -> None:
    """Read them again next time (after an install made by this process)."""
    global _read
    _read = None
