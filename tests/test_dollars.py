"""Currency dollars in a displayed answer: which are escaped, which stay math or code,
and how the escaping of a streaming answer holds as more text arrives."""

from __future__ import annotations

import random
import re

import pytest

from amplifier_jupyter.ui.dollars import LITERAL_DOLLAR, currency_dollars, escape_currency

D = LITERAL_DOLLAR

CASES = [
    # amounts
    ("$50,000 … ($2,310)", f"{D}50,000 … ({D}2,310)"),
    ("It costs $5.", f"It costs {D}5."),
    ("$5 and $10", f"{D}5 and {D}10"),
    ("$5–$10, $5-$10, $5/$10, $5,$10", f"{D}5–{D}10, {D}5-{D}10, {D}5/{D}10, {D}5,{D}10"),
    ("$1.5M and $.50", f"{D}1.5M and {D}.50"),
    ("US$20, A$5, HK$100", f"US{D}20, A{D}5, HK{D}100"),
    ("$-3 and $+4 and $−5", f"{D}-3 and {D}+4 and {D}−5"),
    ("$ 5 and $ 10", f"{D} 5 and {D} 10"),
    ("**$5** and *$10*", f"**{D}5** and *{D}10*"),
    ("| a | b |\n|---|---|\n| $5 | $10 |", f"| a | b |\n|---|---|\n| {D}5 | {D}10 |"),
    ("- $5\n- $10", f"- {D}5\n- {D}10"),
    ("# From $5 to $10", f"# From {D}5 to {D}10"),
    ("[$5 plan](https://example.com/buy) or $6", f"[{D}5 plan](https://example.com/buy) or {D}6"),
    ("$5 each or about 4 euros$", f"{D}5 each or about 4 euros$"),
    ("$5\n\nand $10", f"{D}5\n\nand {D}10"),
    # amounts beside math
    ("$5 and $x$", f"{D}5 and $x$"),
    ("$x$ costs $5, $y$ costs $6", f"$x$ costs {D}5, $y$ costs {D}6"),
    ("$2^n$ and $5", f"$2^n$ and {D}5"),
    ("$5 and $2^n$", f"{D}5 and $2^n$"),
    ("$$x = 5$$ and $5 or $6", f"$$x = 5$$ and {D}5 or {D}6"),
    ("\\(x^2\\) and $5 or $6", f"\\(x^2\\) and {D}5 or {D}6"),
    ("\\\\(x^2\\\\) and $5 or $6", f"\\\\(x^2\\\\) and {D}5 or {D}6"),
    ("the $ sign costs $5", f"the $ sign costs {D}5"),
    ("the $ sign, \\$3 or $", f"the $ sign, {D}3 or $"),
    ("$ 5 $", f"{D} 5 $"),
    ("$5 `code` $x$", f"{D}5 `code` $x$"),
    ("$5 and $$x$$", f"{D}5 and $$x$$"),
    # dollars the text already escapes still pair up in JupyterLab (module docstring)
    ("\\$5 and \\$10", f"{D}5 and {D}10"),
    ("$x$ costs \\$5", f"$x$ costs {D}5"),
    # math, left as it is
    ("$x$", "$x$"),
    ("$x^2$", "$x^2$"),
    ("$n = 2$", "$n = 2$"),
    ("$2^n$", "$2^n$"),
    ("$10^{-3}$", "$10^{-3}$"),
    ("$2 \\times 3$", "$2 \\times 3$"),
    ("$10\\,\\text{km}$", "$10\\,\\text{km}$"),
    ("$4ac$ and $3x$", "$4ac$ and $3x$"),
    ("$5$", "$5$"),
    ("$ 2^n $", "$ 2^n $"),
    ("$\\frac{a}{b}$", "$\\frac{a}{b}$"),
    ("$\\$5$", "$\\$5$"),
    ("$$\n\\frac{1}{2} + 5\n$$", "$$\n\\frac{1}{2} + 5\n$$"),
    ("\\[ x = 5 \\]", "\\[ x = 5 \\]"),
    ("\\begin{align} a &= 5 \\end{align}", "\\begin{align} a &= 5 \\end{align}"),
    # code, left as it is
    ("`$5 and $10`", "`$5 and $10`"),
    ("``a ` $5 ``", "``a ` $5 ``"),
    ("```py\nprint('$5 and $10')\n```\nThen $5", f"```py\nprint('$5 and $10')\n```\nThen {D}5"),
    ("~~~\n$5\n~~~", "~~~\n$5\n~~~"),
    ("```$5``` and $6\n", f"```$5``` and {D}6\n"),
    ("- item\n  ```\n  $5\n  ```", "- item\n  ```\n  $5\n  ```"),
    ("```\nstill streaming $5", "```\nstill streaming $5"),
    # links and HTML, left as they are (a span there would break them)
    ("<https://example.com/?p=$5>", "<https://example.com/?p=$5>"),
    ("see https://example.com/$5 now", "see https://example.com/$5 now"),
    ('<a title="$5">$6</a>', f'<a title="$5">{D}6</a>'),
    # no amount: not ours to change
    ("$PATH and $HOME", "$PATH and $HOME"),
    ("the $ sign", "the $ sign"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "shown"), CASES)
def test_currency_dollars_are_escaped_and_nothing_else(text: str, shown: str) -> None:
    assert escape_currency(text) == shown
    assert escape_currency(shown) == shown  # escaping twice changes nothing


def test_the_escape_only_adds_to_the_text() -> None:
    for text, _ in CASES:
        if "\\$" not in text:
            assert escape_currency(text).replace(D, "$") == text


STREAMED = [
    "Revenue rose from $50,000 to $62,500 (a $12,500 gain), while costs ($2,310) fell.",
    "At $5 and $10 the formula $2^n$ gives $x$ for $n = 2$, about $1.5M in total.",
    "Prices: $5–$10 each; $$E = mc^2$$ and $10^{-3}$ with `$5 and $10` in code.",
    "```python\ncost = '$5 and $10'\n```\nThat is $5 and $x$ more.",
]


# Answers put together from pieces, with a seed: many more orders than the list above.
PIECES = [
    "$5", "and", "$10", "$x$", "$2^n$", "($2,310)", "$$E=mc^2$$", "`$5 $6`", "the $ sign",
    "\n\n", "$n = 2$", "–", "US$20", "$1.5M", "\\$3", "$ 4", "$5$", ",", "x",
    "\n```\n$5 $6\n```\n", "$ 2^n $", "[$5](https://example.com/$6)",
]  # fmt: skip
_pick = random.Random(17)
STREAMED += [" ".join(_pick.choices(PIECES, k=_pick.randint(2, 8))) for _ in range(300)]


def decided(text: str) -> set[int]:
    """Where the currency dollars start."""
    return {start for start, _ in currency_dollars(text)}


def test_a_streaming_answer_keeps_its_earlier_escapes() -> None:
    for text in STREAMED:
        keeps_its_escapes(text)


def keeps_its_escapes(text: str) -> None:
    """Every prefix of ``text``, as a stream shows it, against the whole."""
    final = decided(text)
    for cut in range(len(text) + 1):
        partial = decided(text[:cut])
        # Nothing the whole answer shows as a dollar shows as math while it streams
        # (but a last "$" whose amount has not come: it has nothing to pair with).
        assert {s for s in final if s < cut - 3} <= partial, text[:cut]
        # The other way only a formula whose closing $ has not come yet, or code whose
        # closing backtick has not: shown as written (as JupyterLab shows an unclosed
        # formula or code span) until it closes.
        for start in partial - final:
            assert text.find("$", start + 1) >= cut or closes_later(text, start, cut), text[:cut]


def closes_later(text: str, start: int, cut: int) -> bool:
    """Whether ``start`` is in a code span of ``text`` that ends after ``cut``."""
    return any(m.start() < start < m.end() > cut for m in re.finditer(r"`[^`]*`", text))


def test_a_long_answer_is_escaped_in_one_pass() -> None:
    text = "A $5 item, $x^2$ and `$y`. " * 20_000
    assert escape_currency(text).count(D) == 20_000
