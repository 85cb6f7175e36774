"""The installed Amplifier modules (``amplifier.modules`` entry points), read once per
state of the environment.

Reading entry points opens every installed distribution's metadata (about 150 files
in this project's test environment: about 9 ms in a kernel, measured), and each new
session's loader read them again. The read is kept while the distributions on
``sys.path`` stay the same: the ``.dist-info`` / ``.egg-info`` entries of each of its
directories, by name and modification time (an install, an uninstall or a reinstall
adds, removes or recreates one), and ``sys.path`` itself. A directory is listed again
only when its own modification time changes, so the check is one ``stat`` per entry;
a directory that changed for another reason (the kernel's working directory, where
the first cell makes ``.amplifier/`` for its transcripts, docs/design.md fact 34)
keeps the read. The warm-up reads them before the first cell
(``cell/first_imports.py``).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys

# What importlib.metadata's path finder reads a distribution from.
METADATA_SUFFIXES = (".dist-info", ".egg-info")

# One entry's distributions: (name, modification time) of each, sorted; or the
# modification time of an entry that is not a directory (a zip file), or None.
Found = tuple[tuple[str, int], ...] | int | None
Stamp = tuple[tuple[str, Found], ...]

_read: tuple[Stamp, dict[str, importlib.metadata.EntryPoint]] | None = None
# By absolute directory: its modification time when listed, and what it held.
_listed: dict[str, tuple[int, Found]] = {}


def _distributions(path: str) -> Found:
    """What importlib.metadata would find in one ``sys.path`` entry (its absolute path)."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        _listed.pop(path, None)
        return None
    known = _listed.get(path)
    if known is not None and known[0] == mtime:
        return known[1]
    found: Found
    if not os.path.isdir(path):
        found = mtime
    else:
        dists = []
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.name.endswith(METADATA_SUFFIXES):
                        try:
                            dists.append((entry.name, entry.stat().st_mtime_ns))
                        except OSError:
                            continue
        except OSError:
            found = None
        else:
            found = tuple(sorted(dists))
    _listed[path] = (mtime, found)
    return found


def _stamp() -> Stamp:
    return tuple((entry, _distributions(os.path.abspath(entry or "."))) for entry in sys.path)


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
    _listed.clear()
