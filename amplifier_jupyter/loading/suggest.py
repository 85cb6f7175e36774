"""What to say about a module id that is not installed, built in, or at its source.

The line names the likely intent: a known id close to the one written (a typo,
``provider-claud``), and the ids this kernel can load of the same kind (the
part before the first dash: ``provider``, ``tool``, ``loop``, ``context``,
``hooks``).
"""

from __future__ import annotations

import difflib

from amplifier_jupyter.loading.catalog import CATALOG, kind_of
from amplifier_jupyter.loading.installer import installed_module_ids
from amplifier_jupyter.loading.standins import BUILTIN_EQUIVALENTS


def known_module_ids(installed: dict[str, str] | None = None) -> list[str]:
    """Every module id this kernel can load without a source (Amplifier's own included);
    ``installed``: the entry points already read."""
    if installed is None:
        installed = installed_module_ids()
    return sorted({*installed, *BUILTIN_EQUIVALENTS, *CATALOG})


def _closest(module_id: str, known: list[str]) -> str | None:
    """A known id the written one is likely a typo of: the part after the kind compared
    among ids of its kind (``provider-nope`` is not close to ``provider-anthropic``),
    or the whole id (a typo in the kind itself)."""
    kind = kind_of(module_id)
    names = {m.removeprefix(kind): m for m in known if kind_of(m) == kind}
    close = difflib.get_close_matches(module_id.removeprefix(kind), list(names), n=1, cutoff=0.7)
    if close:
        return names[close[0]]
    whole = difflib.get_close_matches(module_id, known, n=1, cutoff=0.85)
    return whole[0] if whole else None


def not_found_line(module_id: str, source: str | None = None) -> str:
    """One line: the module was not found, what it may have meant, what to do."""
    installed = installed_module_ids()  # read once: every distribution's metadata
    known = known_module_ids(installed)
    where = f" (source: {source})" if source else ""
    line = f"module '{module_id}' is not installed or built in{where}"
    close = _closest(module_id, known)
    if close:
        line += f": did you mean {close}?"
    same_kind = [
        m
        for m in sorted(installed)
        if kind_of(m) == kind_of(module_id) and m not in BUILTIN_EQUIVALENTS
    ]
    if same_kind and not close:
        line += f" (this kernel has: {', '.join(same_kind)})"
    return (
        f"{line} — install it with %amplifier install SOURCE or ID (%amplifier modules "
        "--available lists Amplifier's own), or give a local directory as its source"
    )
