"""``--cells SPEC``: earlier cells by the execution count the user sees.

``3`` one cell; ``3-5`` a range, inclusive; ``3,7`` a list; ``-2:`` the last
two executed; ``4:`` cell 4 and every later one. Parts combine with commas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amplifier_jupyter.errors import AmplifierUserError

SPEC_HELP = "give cells as 3, 3-5, 3,7 or -2: (the last two)"
_PART = re.compile(r"^(?:(\d+)|(\d+)-(\d+)|-(\d+):|(\d+):)$")


class CellSpecError(AmplifierUserError):
    """A ``--cells`` value that cannot be read."""


@dataclass(frozen=True)
class CellSpec:
    """A parsed ``--cells`` value: explicit counts, ranges, a tail and open ranges."""

    text: str
    counts: tuple[int, ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()
    last: int = 0
    from_count: int | None = None

    def select(self, executed: list[int]) -> list[int]:
        """The counts this spec names among ``executed`` (sorted, no repeats)."""
        available = sorted(set(executed))
        chosen: set[int] = set()
        for n in self.counts:
            if n in available:
                chosen.add(n)
        for low, high in self.ranges:
            chosen.update(n for n in available if low <= n <= high)
        if self.last:
            chosen.update(available[-self.last :])
        if self.from_count is not None:
            chosen.update(n for n in available if n >= self.from_count)
        return sorted(chosen)

    def wanted(self) -> list[int]:
        """Counts named explicitly (to say which ones do not exist)."""
        named = set(self.counts)
        for low, high in self.ranges:
            named.update(range(low, high + 1))
        return sorted(named)


def parse_cell_spec(text: str) -> CellSpec:
    """Parse a ``--cells`` value; raises :class:`CellSpecError` with a one-line hint."""
    counts: list[int] = []
    ranges: list[tuple[int, int]] = []
    last = 0
    from_count: int | None = None
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise CellSpecError(f"--cells {text!r} is empty somewhere: {SPEC_HELP}")
    for part in parts:
        match = _PART.match(part)
        if match is None:
            raise CellSpecError(f"--cells cannot read {part!r}: {SPEC_HELP}")
        one, low, high, tail, start = match.groups()
        if one is not None:
            counts.append(int(one))
        elif low is not None:
            if int(low) > int(high):
                raise CellSpecError(f"--cells {part!r} runs backwards: write {high}-{low}")
            ranges.append((int(low), int(high)))
        elif tail is not None:
            if int(tail) == 0:
                raise CellSpecError(f"--cells {part!r} names no cell: {SPEC_HELP}")
            last = max(last, int(tail))
        else:
            from_count = int(start) if from_count is None else min(from_count, int(start))
    return CellSpec(text, tuple(counts), tuple(ranges), last, from_count)


def describe_counts(counts: list[int]) -> str:
    """``3–5, 7``: consecutive counts joined into ranges (en dash, as in prose)."""
    if not counts:
        return ""
    groups: list[list[int]] = [[counts[0]]]
    for n in counts[1:]:
        if n == groups[-1][-1] + 1:
            groups[-1].append(n)
        else:
            groups.append([n])
    return ", ".join(str(g[0]) if len(g) == 1 else f"{g[0]}–{g[-1]}" for g in groups)
