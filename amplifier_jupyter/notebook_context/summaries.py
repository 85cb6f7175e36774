"""Type-aware, bounded summaries of kernel values.

A DataFrame gives its shape, dtypes and head; a NumPy array its shape, dtype
and a few statistics; a container its length and a sample; anything else its
repr, cut. pandas and NumPy are recognised by type, never imported here: a
value of those types means the library is already loaded. Whatever the user's
code raises on the way becomes "could not be summarized: …" (``guard.py``).
"""

from __future__ import annotations

import itertools
import reprlib
import types
import warnings
from collections.abc import Mapping
from typing import Any

from amplifier_jupyter.notebook_context._text import SUMMARY_LIMIT, cut
from amplifier_jupyter.notebook_context.guard import ContextInterrupted, could_not_summarize

SAMPLE_ITEMS = 10
SMALL_REPR = 300
HEAD_ROWS = 5
MAX_COLUMNS_LISTED = 40
# Statistics read every element: skip them past this size to keep a summary quick.
STATS_MAX_ELEMENTS = 20_000_000
# Variables the listing never shows: IPython's own and ours.
HIDDEN_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})

_short = reprlib.Repr()
_short.maxstring = 80
_short.maxother = 80
_short.maxlist = _short.maxtuple = _short.maxset = _short.maxfrozenset = 6
_short.maxdict = 6
_short.maxlevel = 2


def _kind(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__.split('.')[0]}.{cls.__name__}"


def is_dataframe(value: Any) -> bool:
    """A pandas DataFrame (by type, without importing pandas)."""
    return _kind(value) == "pandas.DataFrame"


def is_series(value: Any) -> bool:
    """A pandas Series."""
    return _kind(value) == "pandas.Series"


def is_ndarray(value: Any) -> bool:
    """A NumPy ndarray."""
    return _kind(value) == "numpy.ndarray"


def safe_repr(value: Any, limit: int = 200) -> str:
    """A short repr that never grows past ``limit`` and raises only a stop."""
    try:
        text = _short.repr(value)
    except ContextInterrupted:
        raise
    except BaseException as error:  # a broken __repr__ must not break the summary
        text = could_not_summarize(value, error)
    return cut(text, limit)


def label(value: Any) -> str:
    """A few words: ``DataFrame 1000×4``, ``ndarray 1000×3 float64``, ``list of 12``."""
    name = type(value).__name__
    try:
        if is_dataframe(value):
            rows, columns = value.shape
            return f"DataFrame {rows}×{columns}"
        if is_series(value):
            return f"Series {len(value)} {value.dtype}"
        if is_ndarray(value):
            shape = "×".join(str(n) for n in value.shape) or "scalar"
            return f"ndarray {shape} {value.dtype}"
        if isinstance(value, str | bytes):
            return f"{name} of {len(value):,} chars" if len(value) > 60 else name
        if isinstance(value, Mapping | list | tuple | set | frozenset):
            return f"{name} of {len(value):,}"
    except ContextInterrupted:
        raise
    except BaseException:
        pass
    return name


def _dataframe(df: Any) -> str:
    rows, columns = df.shape
    lines = [f"pandas DataFrame: {rows:,} rows × {columns:,} columns"]
    dtypes = [f"  {col}: {dtype}" for col, dtype in list(df.dtypes.items())[:MAX_COLUMNS_LISTED]]
    lines.append("columns (dtype):")
    lines += dtypes
    if columns > MAX_COLUMNS_LISTED:
        lines.append(f"  … and {columns - MAX_COLUMNS_LISTED} more columns")
    try:
        missing = int(df.isna().sum().sum())
        if missing:
            lines.append(f"missing values: {missing:,}")
    except Exception:
        pass
    head = df.head(HEAD_ROWS).to_string(max_cols=12, max_colwidth=30)
    lines.append(f"head({HEAD_ROWS}):")
    lines.append(head)
    return "\n".join(lines)


def _series(series: Any) -> str:
    lines = [f"pandas Series {series.name!r}: {len(series):,} values, dtype {series.dtype}"]
    lines.append(series.head(HEAD_ROWS).to_string(max_rows=HEAD_ROWS))
    return "\n".join(lines)


def _ndarray(array: Any) -> str:
    lines = [f"NumPy array: shape {tuple(array.shape)}, dtype {array.dtype}"]
    numeric = array.dtype.kind in "biuf"
    if numeric and 0 < array.size <= STATS_MAX_ELEMENTS:
        import numpy  # already loaded: the value is an ndarray

        with warnings.catch_warnings(), numpy.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            stats = {
                "min": numpy.nanmin(array),
                "max": numpy.nanmax(array),
                "mean": numpy.nanmean(array),
                "std": numpy.nanstd(array),
            }
            nans = int(numpy.isnan(array).sum()) if array.dtype.kind == "f" else 0
        lines.append(" ".join(f"{k} {v:.6g}" for k, v in stats.items()))
        if nans:
            lines.append(f"NaN: {nans:,}")
    import numpy

    lines.append(numpy.array2string(array, threshold=40, edgeitems=3, max_line_width=100))
    return "\n".join(lines)


def _mapping(value: Mapping) -> str:
    lines = [f"{type(value).__name__} with {len(value):,} keys"]
    for i, (key, item) in enumerate(value.items()):
        if i == SAMPLE_ITEMS:
            lines.append(f"  … {len(value) - SAMPLE_ITEMS:,} more")
            break
        lines.append(f"  {safe_repr(key, 60)}: {safe_repr(item, 160)}")
    return "\n".join(lines)


def _sequence(value: Any) -> str:
    # Only a sample is read from a long container: a summary stays quick however big it is.
    if isinstance(value, set | frozenset):
        items = list(itertools.islice(value, SAMPLE_ITEMS))
    else:
        items = list(value[:SAMPLE_ITEMS])
    kinds = sorted({type(x).__name__ for x in (value if len(value) <= 10_000 else items)})
    kind_text = f" ({', '.join(kinds[:5])}{', …' if len(kinds) > 5 else ''})" if kinds else ""
    lines = [f"{type(value).__name__} of {len(value):,} items{kind_text}"]
    for i in range(min(len(value), SAMPLE_ITEMS)):
        lines.append(f"  [{i}] {safe_repr(items[i], 160)}")
    if len(value) > SAMPLE_ITEMS:
        lines.append(f"  … {len(value) - SAMPLE_ITEMS:,} more")
    return "\n".join(lines)


def _whole_if_small(value: Any) -> str | None:
    """A small container reads best as itself: ``[1, 2, 3]``, ``{'lr': 0.01}``."""
    if len(value) > SAMPLE_ITEMS:
        return None
    try:
        text = cut(_short.repr(value), SMALL_REPR)
    except ContextInterrupted:
        raise
    except BaseException:  # an item's repr raised: the sample view names which
        return None
    # reprlib marks anything it shortened with "...": then the sample view says more.
    return None if "..." in text or len(text) >= SMALL_REPR else text


def summarize(value: Any, limit: int = SUMMARY_LIMIT) -> str:
    """A readable summary of ``value``, never longer than ``limit`` characters."""
    try:
        if is_dataframe(value):
            text = _dataframe(value)
        elif is_series(value):
            text = _series(value)
        elif is_ndarray(value):
            text = _ndarray(value)
        elif isinstance(value, str):
            text = value if len(value) <= limit else f"str of {len(value):,} chars:\n{value}"
        elif isinstance(value, Mapping | list | tuple | set | frozenset):
            whole = _whole_if_small(value)
            if whole is not None:
                text = whole
            elif isinstance(value, Mapping):
                text = _mapping(value)
            else:
                text = _sequence(value)
        else:
            text = _plain_repr(value, limit)
    except ContextInterrupted:
        raise
    except BaseException as error:  # a summary is a courtesy: fall back to the repr
        text = f"{_plain_repr(value, limit)}\n(summary failed: {type(error).__name__})"
    return cut(text, limit)


def _plain_repr(value: Any, limit: int) -> str:
    try:
        text = repr(value)
    except ContextInterrupted:
        raise
    except BaseException as error:
        text = could_not_summarize(value, error)
    return cut(text, limit)


def user_variables(namespace: dict[str, Any], hidden: Any = ()) -> dict[str, Any]:
    """The user's own variables: no modules, no underscores, nothing IPython put there."""
    found = {}
    for name, value in namespace.items():
        if name.startswith("_") or name in HIDDEN_NAMES or name in hidden:
            continue
        if issubclass(type(value), types.ModuleType):  # by type: runs none of the value's code
            continue
        found[name] = value
    return found


def list_variables(namespace: dict[str, Any], hidden: Any = (), limit: int = 8_000) -> str:
    """One line per user variable: name, type, a short view; bounded as a whole."""
    variables = user_variables(namespace, hidden)
    if not variables:
        return "(no user variables yet)"
    lines = []
    for name, value in variables.items():
        if is_dataframe(value) or is_series(value) or is_ndarray(value):
            view = label(value)
        elif callable(value):
            view = type(value).__name__
        else:
            view = f"{label(value)} = {safe_repr(value, 100)}"
        lines.append(f"{name}: {view}")
    return cut("\n".join(lines), limit)
