"""``{name}`` in a prompt becomes that value from the user's namespace.

Only whole references are replaced: ``{name}``, ``{name.attr}``,
``{name[key]}`` (and chains of them). Everything else between braces is left
exactly as written — JSON, f-string fields with a format spec, ``{{double}}``
braces — and so is anything inside Markdown code (fenced blocks and
backtick spans) or LaTeX math (``$$...$$``, and ``$...$`` by Pandoc's rule:
no space just inside either dollar, no digit just after the closing one), so
pasted code, JSON and formulas reach the model untouched. A
reference that does not resolve is left as written and reported, so typos
show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.images import ImageSet, is_image_value
from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT
from amplifier_jupyter.notebook_context.guard import ContextInterrupted, could_not_summarize
from amplifier_jupyter.notebook_context.references import REFERENCE, UnresolvedReference, resolve
from amplifier_jupyter.notebook_context.summaries import label, summarize

# Single braces around a whole reference; not part of {{...}}.
_FIELD = re.compile(rf"(?<!\{{)\{{({REFERENCE.pattern})\}}(?!\}})")
# Markdown code: fenced blocks (``` or ~~~, indented as in a list item, to a closing fence
# at least as long, or the end) and inline spans.
_CODE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[`~]*[ \t]*$|\Z)|(`+)[^`\n]*?\2", re.M | re.S
)
# LaTeX math as Jupyter's Markdown renders it: display $$...$$, and inline $...$ whose
# dollars hug the formula (so "${low} and ${high}" is prose with two references).
_MATH = re.compile(
    r"(?<![\\$])\$\$.+?\$\$|(?<![\\$])\$(?=[^\s$])(?:[^$\n\\]|\\.)*?(?<=[^\s\\])\$(?!\d)",
    re.S,
)
# Small containers read best as their str(); larger ones as a summary.
INLINE_ITEMS = 100


@dataclass
class Interpolation:
    """The prompt after interpolation, and what happened on the way."""

    text: str
    used: list[tuple[str, str]] = field(default_factory=list)  # (reference, label)
    unresolved: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)
    summarized: list[str] = field(default_factory=list)

    def notices(self) -> list[str]:
        """One-line notes for the user: references left as written, values summarized."""
        found = []
        if self.unresolved:
            missing = {
                ref: reason.partition(" (")[2].removesuffix(")")
                for ref, reason in self.unresolved
                if reason.startswith("no variable")
            }
            others = [(ref, why) for ref, why in self.unresolved if ref not in missing]
            if missing:
                names = ", ".join(
                    "{" + ref + "}" + (f" ({hint})" if hint else "")
                    for ref, hint in missing.items()
                )
                found.append(f"left as written (no such variable): {names}")
            for ref, why in others:
                found.append(f"left {{{ref}}} as written: {why}")
        if self.summarized:
            names = ", ".join("{" + ref + "}" for ref in self.summarized)
            found.append(f"sent a summary instead of the full value: {names}")
        return found


def render(value: Any, limit: int = SUMMARY_LIMIT) -> tuple[str, bool]:
    """The text a value becomes in a prompt, and whether it is a summary.

    Whatever the value's own code raises (a ``__len__``, a ``shape`` property, a
    ``__str__``; ``KeyboardInterrupt`` too) makes it "could not be summarized: …".
    """
    try:
        return _render(value, limit)
    except ContextInterrupted:
        raise
    except BaseException as error:
        return could_not_summarize(value, error), True


def _render(value: Any, limit: int) -> tuple[str, bool]:
    if isinstance(value, str):
        return (value, False) if len(value) <= limit else (summarize(value, limit), True)
    if isinstance(value, int | float | bool | complex) or value is None:
        return str(value), False
    try:
        size = len(value)
    except Exception:
        size = 0
    if size > INLINE_ITEMS and not hasattr(value, "shape"):
        return summarize(value, limit), True
    try:
        text = str(value)
    except ContextInterrupted:
        raise
    except BaseException:  # e.g. an item's repr: the summary names it
        return summarize(value, limit), True
    if len(text) > limit:
        return summarize(value, limit), True
    return text, False


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where code and math are: nothing inside them is interpolated."""
    spans = [match.span() for match in _CODE.finditer(text)]
    outside = [
        m.span() for m in _MATH.finditer(text) if not any(a <= m.start() < b for a, b in spans)
    ]
    return spans + outside


def interpolate(
    text: str,
    namespace: dict[str, Any],
    limit: int = SUMMARY_LIMIT,
    images: ImageSet | None = None,
) -> Interpolation:
    """Replace ``{reference}`` fields outside Markdown code with their values.

    With ``images``, a value that is an image (a matplotlib Figure, a PIL Image, PNG or
    JPEG bytes) goes there and its field becomes the image's marker, ``[image 1: fig]``.
    """
    result = Interpolation(text="")
    spans = _code_spans(text)
    pieces: list[str] = []
    position = 0
    for match in _FIELD.finditer(text):
        start, end = match.span()
        if any(a <= start < b for a, b in spans):
            continue
        reference = match.group(1)
        try:
            value = resolve(reference, namespace)
        except UnresolvedReference as error:
            if (reference, str(error)) not in result.unresolved:
                result.unresolved.append((reference, str(error)))
            continue
        if images is not None and is_image_value(value):
            rendered, summarized = images.add_value(value, reference), False
        else:
            rendered, summarized = render(value, limit)
        pieces += [text[position:start], rendered]
        position = end
        if reference not in (ref for ref, _ in result.used):
            result.used.append((reference, label(value)))
        if summarized and reference not in result.summarized:
            result.summarized.append(reference)
    pieces.append(text[position:])
    result.text = "".join(pieces)
    return result
