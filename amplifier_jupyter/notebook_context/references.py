"""Names the user writes: ``name``, ``name.attr``, ``name[key]``, and looking them up.

Only attribute and item access, never evaluation: a reference is resolved
step by step with ``getattr`` and ``[]``, so text between braces cannot run
arbitrary code.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from amplifier_jupyter.notebook_context.guard import ContextInterrupted

_STEP = r"(?:\.[A-Za-z_]\w*|\[(?:-?\d+|'[^'\]\n]*'|\"[^\"\]\n]*\"|[A-Za-z_]\w*)\])"
REFERENCE = re.compile(rf"[A-Za-z_]\w*{_STEP}*")
_STEPS = re.compile(r"\.([A-Za-z_]\w*)|\[(-?\d+|'[^'\]\n]*'|\"[^\"\]\n]*\"|[A-Za-z_]\w*)\]")


class UnresolvedReference(LookupError):
    """A reference that does not resolve; the message says which step failed."""


def is_reference(text: str) -> bool:
    """Whether ``text`` is a whole reference (``df``, ``df.shape``, ``d['k']``, ``xs[0]``)."""
    return REFERENCE.fullmatch(text) is not None


def _key(token: str) -> Any:
    if token[0] in "'\"":
        return token[1:-1]
    try:
        return int(token)
    except ValueError:
        return token  # a bare word is a string key, as in str.format


# IPython's own names in a user namespace: never what a prompt meant.
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


def _user_names(namespace: dict[str, Any]) -> list[str]:
    return [n for n in namespace if not n.startswith("_") and n not in _IPYTHON_NAMES]


def resolve(reference: str, namespace: dict[str, Any]) -> Any:
    """The value ``reference`` names in ``namespace``.

    Raises :class:`UnresolvedReference` with a short reason (``no variable named
    x``, ``DataFrame has no attribute 'colum'``, ``dict has no key 'b'``).
    """
    if not is_reference(reference):
        raise UnresolvedReference(f"{reference!r} is not a name, name.attr or name[key]")
    head = re.match(r"[A-Za-z_]\w*", reference)
    assert head is not None
    name = head.group(0)
    if name not in namespace:
        close = difflib.get_close_matches(name, _user_names(namespace), n=1, cutoff=0.7)
        hint = f" (did you mean {{{close[0]}}}?)" if close else ""
        raise UnresolvedReference(f"no variable named {name}{hint}")
    value = namespace[name]
    for match in _STEPS.finditer(reference, head.end()):
        attribute, key = match.group(1), match.group(2)
        kind = type(value).__name__
        if attribute is not None:
            try:
                value = getattr(value, attribute)
            except ContextInterrupted:
                raise
            except Exception:
                raise UnresolvedReference(f"{kind} has no attribute {attribute!r}") from None
            except BaseException as error:  # KeyboardInterrupt, SystemExit… from user code
                raise UnresolvedReference(_failed(f"{kind}.{attribute}", error)) from None
        else:
            item = _key(key)
            try:
                value = value[item]
            except ContextInterrupted:
                raise
            except Exception:
                raise UnresolvedReference(f"{kind} has no item [{key}]") from None
            except BaseException as error:
                raise UnresolvedReference(_failed(f"{kind}[{key}]", error)) from None
    return value


def _failed(what: str, error: BaseException) -> str:
    return f"{what} could not be summarized: {type(error).__name__}"
