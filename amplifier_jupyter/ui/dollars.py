"""Dollar amounts in a displayed answer show as dollars, not as LaTeX math.

How JupyterLab renders a Markdown output (measured in JupyterLab 4.6 with chromium):

1. ``removeMath`` (``@jupyterlab/rendermime``, ``latex.ts``) takes the math out
   before the Markdown parser sees it: a ``$`` opens a formula and the next
   ``$`` of the same paragraph closes it, whatever lies between (``$5 and $10``
   is the formula ``5 and ``); ``$$`` pairs with ``$$``. A ``$`` right after a
   backslash is no delimiter, nor is one in code (fenced blocks, code spans).
2. The Markdown parser renders the rest; ``\\$`` becomes a plain ``$``.
3. MathJax typesets the whole rendered output, ``$...$`` being inline math: two
   dollars left in one run of text pair up again, so ``\\$5 and \\$10`` is
   still a formula. MathJax pairs no delimiters across an HTML element.

So a dollar that must stay a dollar is written ``<span>\\$</span>``: the
backslash hides it from step 1, the element from step 3, and any other
Markdown renderer (GitHub, nbconvert, VS Code) shows a ``$``.

Which dollars are currency (the rest of the text is left exactly as it is):

- A ``$`` followed by an amount: optionally one space, optionally a sign,
  then a digit (``$5``, ``($2,310)``, ``$1.5M``, ``US$20``, ``$-3``, ``$.50``,
  ``$ 20``).
- Unless it opens a formula: the next ``$`` of the paragraph (not past a
  ``$$``) closes one when what lies between reads as math. It does not when
  the closing ``$`` starts an amount itself (``$5 and $10``, ``$5–$10``), when
  what lies between ends in a space (``$5 and $x$``) or a separator (``$5,$``,
  ``$5–$``), holds code, a link or a backtick, or holds a word and no LaTeX sign
  (``\\ ^ _ { } =``); spaced on both sides, it is math only around a LaTeX
  sign (``$ 2^n $``, not ``$ 5 and $``). So ``$2^n$``, ``$10^{-3}$``,
  ``$2 \\times 3$`` and ``$5$`` stay math.
- A dollar the text already escapes (``\\$5``) is a dollar too (step 3).
- A ``$`` with no amount after it is never escaped: it opens a formula
  (``$x$``, ``$n = 2$``, left whole), unless its closing ``$`` starts an
  amount or a space after it is not matched as above (``the $ sign costs $5``).

Never touched: code (fenced blocks, unclosed ones to the end as CommonMark
has it; code spans), math (``$...$`` and ``$$...$$`` as above, ``\\(...\\)``,
``\\[...\\]``, ``\\begin{...}...\\end{...}``), HTML tags, autolinks, link
destinations and bare URLs (a span there would break the link). Not
recognized: indented code blocks (an answer fences its code).

While an answer streams, its text so far is escaped as if it were the whole:
an amount whose closing ``$`` has not come yet is escaped, and shows as it
will (a formula shows once closed, as JupyterLab shows it). What decides a
``$`` is the text up to two characters past the next ``$``, so text that
arrives later changes no earlier escape, but where a digit or ``$$`` comes
right after a formula (``$5$10``).
"""

from __future__ import annotations

import re

# A dollar that is shown as a dollar by JupyterLab and by every other renderer.
LITERAL_DOLLAR = "<span>\\$</span>"

# A backtick fence's line holds no other backtick (else it is a code span: ```a``` b).
_FENCE = (
    r"^[ \t]*(?P<fence>`{3,}(?=[^`\n]*\n)|~{3,})[^\n]*\n"
    r"(?:.*?^[ \t]*(?P=fence)[`~]*[ \t]*$|.*\Z)"
)
_NO_BLANK = r"(?:(?!\n[ \t]*\n).)"
_CODE_SPAN = rf"(?<![`\\])(?P<ticks>`+)(?!`){_NO_BLANK}*?(?<!`)(?P=ticks)(?!`)"
_BACKSLASH_MATH = (
    rf"\\\\?\({_NO_BLANK}*?\\\\?\)|\\\\?\[{_NO_BLANK}*?\\\\?\]"
    r"|\\begin\{(?P<env>[A-Za-z]+\*?)\}.*?\\end\{(?P=env)\}"
)
_ATTRIBUTE = r"""\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?"""
_HTML_OR_AUTOLINK = (
    rf"<(?:/?[A-Za-z][A-Za-z0-9-]*(?:{_ATTRIBUTE})*\s*/?|[A-Za-z][A-Za-z0-9+.-]+:[^\s<>]*)>"
)
_LINKS = r"\]\([^)\s]*|\bhttps?://[^\s<>]*"
# What is left exactly as it is (a dollar already escaped too: escaping twice changes nothing).
_VERBATIM = "|".join(
    (re.escape(LITERAL_DOLLAR), _FENCE, _CODE_SPAN, _BACKSLASH_MATH, _HTML_OR_AUTOLINK, _LINKS)
)
# The lookahead first, with every character a token starts with: most are passed at once.
_TOKEN = re.compile(
    rf"(?=[$\\`~<\]h \t\n])(?:(?P<verbatim>{_VERBATIM})|(?P<blank>\n[ \t]*\n)"
    r"|(?P<backslashes>\\+)\$|(?P<display>\$\$)|(?P<dollar>\$))",
    re.M | re.S,
)
# After an opening $: an amount. After a closing $: another amount begins.
_AMOUNT = re.compile("[ \u00a0]?[-+\u2212]?\\.?\\d")
_AMOUNT_NEXT = re.compile("[-+\u2212]?\\d")
_LATEX_SIGN = re.compile(r"\\(?!\$)|[\^_{}=]")
_WORD = re.compile(r"(?:^|\s)[^\W\d_]{2,}")
_SEPARATORS = ",;:/+-\u2013\u2014([&"


def escape_currency(markdown: str) -> str:
    """``markdown`` with its currency dollars written as :data:`LITERAL_DOLLAR`."""
    pieces = []
    done = 0
    for start, end in currency_dollars(markdown):
        pieces += [markdown[done:start], LITERAL_DOLLAR]
        done = end
    return "".join(pieces) + markdown[done:]


def currency_dollars(markdown: str) -> list[tuple[int, int]]:
    """Where the currency dollars are: ``(start, end)`` of each ``$`` (or ``\\$``)."""
    if "$" not in markdown:
        return []
    tokens = [(m.lastgroup or "", m.start(), m.end()) for m in _TOKEN.finditer(markdown)]
    found = []
    i = 0
    while i < len(tokens):
        kind, start, end = tokens[i]
        if kind == "backslashes":
            if (end - start - 1) % 2:  # an odd run: the last backslash escapes the $
                found.append((end - 2, end))
        elif kind == "display":
            close = _closing(tokens, i, "display")
            i = i if close is None else close
        elif kind == "dollar":
            close = _closing(tokens, i, "dollar")
            if _AMOUNT.match(markdown, end):
                # A formula holds no code, link or HTML (its closing $ is another amount's).
                if (
                    close is not None
                    and all(token[0] != "verbatim" for token in tokens[i:close])
                    and _formula(markdown, end, tokens[close][1])
                ):
                    i = close
                else:
                    found.append((start, end))
            elif close is not None and _pairs(markdown, end, tokens[close][1]):
                i = close  # a formula, $x$ or $n = 2$, left as it is
        i += 1
    return found


def _closing(tokens: list[tuple[str, int, int]], i: int, kind: str) -> int | None:
    """The index of the token closing the ``$`` or ``$$`` at ``i``, if any: the next of
    its kind in the paragraph (a ``$`` closes nothing past a ``$$``)."""
    stops = ("blank", "display") if kind == "dollar" else ("blank",)
    for j in range(i + 1, len(tokens)):
        if tokens[j][0] == kind:
            return j
        if tokens[j][0] in stops:
            return None
    return None


def _pairs(markdown: str, start: int, close: int) -> bool:
    """Whether ``$`` + ``markdown[start:close]`` + ``$`` may be a formula: the closing
    ``$`` starts no amount, and a space after the opening one is matched before the
    closing one around a LaTeX sign (``$ 2^n $``; not ``the $ sign, $``)."""
    between = markdown[start:close]
    if _AMOUNT_NEXT.match(markdown, close + 1):
        return False
    if between[:1].isspace():
        return between[-1].isspace() and bool(_LATEX_SIGN.search(between))
    return True


def _formula(markdown: str, start: int, close: int) -> bool:
    """Whether ``$`` + ``markdown[start:close]`` + ``$`` (an amount first) reads as math."""
    between = markdown[start:close]
    if not _pairs(markdown, start, close):
        return False
    if between[0].isspace():
        return True  # spaced on both sides around a LaTeX sign: $ 2^n $
    if between[-1].isspace() or between[-1] in _SEPARATORS or "`" in between:
        return False
    return bool(_LATEX_SIGN.search(between)) or not _WORD.search(between)
