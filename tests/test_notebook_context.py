"""Pure notebook-context logic: cell specs, summaries and their bound, references, tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from amplifier_jupyter.notebook_context import (
    SUMMARY_LIMIT,
    CellSpecError,
    UnresolvedReference,
    compose,
    describe_counts,
    format_exception,
    label,
    list_variables,
    notebook_path,
    parse_cell_spec,
    read_notebook,
    render_notebook,
    resolve,
    summarize,
)

EXECUTED = [1, 2, 3, 4, 5, 7, 8]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("3", [3]),
        ("3-5", [3, 4, 5]),
        ("3,7", [3, 7]),
        ("-2:", [7, 8]),
        ("5:", [5, 7, 8]),
        ("1, 4-5, -1:", [1, 4, 5, 8]),
        ("6", []),  # never executed
        ("-20:", EXECUTED),
    ],
)
def test_cell_specs_select_by_execution_count(spec: str, expected: list[int]) -> None:
    assert parse_cell_spec(spec).select(EXECUTED) == expected


@pytest.mark.parametrize("spec", ["", "a", "3-", "5-3", "-0:", "3,,4", "3.5", "-2"])
def test_bad_cell_specs_say_how_to_write_one(spec: str) -> None:
    with pytest.raises(CellSpecError) as error:
        parse_cell_spec(spec)
    assert "--cells" in str(error.value) and "\n" not in str(error.value)


def test_counts_are_described_as_ranges() -> None:
    assert describe_counts([3, 4, 5, 7, 9, 10]) == "3–5, 7, 9–10"
    assert describe_counts([2]) == "2"


def test_resolve_walks_attributes_and_items_only() -> None:
    ns = {"cfg": {"lr": [0.1, 0.2]}}
    assert resolve("cfg['lr'][1]", ns) == 0.2
    with pytest.raises(UnresolvedReference, match="no variable named nope"):
        resolve("nope", ns)
    with pytest.raises(UnresolvedReference, match="not a name"):
        resolve("__import__('os')", ns)


# -- summaries -----------------------------------------------------------------


class Wide:
    def __repr__(self) -> str:
        return "W" * 50_000


@pytest.mark.parametrize(
    "value",
    [
        "s" * 100_000,
        list(range(200_000)),
        {f"key{i}": "v" * 500 for i in range(10_000)},
        {"nested": [[list(range(1000))] * 100] * 100},
        Wide(),
        tuple("x" * 1000 for _ in range(1000)),
        {frozenset({1, 2}), frozenset({3})},
    ],
)
def test_no_summary_is_over_the_bound(value: object) -> None:
    assert len(summarize(value)) <= SUMMARY_LIMIT


class Interrupting:
    def __repr__(self) -> str:
        raise KeyboardInterrupt

    def __len__(self) -> int:
        raise SystemExit(1)


class Listish(list):
    def __len__(self) -> int:
        raise KeyboardInterrupt


def test_summaries_and_listings_name_what_user_code_raised_and_go_on() -> None:
    value = Interrupting()
    assert summarize(value) == "<Interrupting: could not be summarized: KeyboardInterrupt>"
    assert label(value) == "Interrupting"
    assert summarize([value, 2]) == (
        "list of 2 items (Interrupting, int)\n"
        "  [0] <Interrupting: could not be summarized: KeyboardInterrupt>\n"
        "  [1] 2"
    )
    assert label(Listish()) == "Listish"
    assert summarize(Listish()) == "[]\n(summary failed: KeyboardInterrupt)"
    assert list_variables({"a": value, "b": 1}) == (
        "a: Interrupting = <Interrupting: could not be summarized: KeyboardInterrupt>\nb: int = 1"
    )


def test_plain_values_summarize_as_their_repr_and_containers_with_a_sample() -> None:
    assert summarize(3.5) == "3.5"
    assert summarize({"a": 1}) == "{'a': 1}" and summarize([1, 2]) == "[1, 2]"
    assert summarize({"k": "v" * 100}).startswith("dict with 1 keys\n  'k': 'vvvv")
    text = summarize(list(range(25)))
    assert text.startswith("list of 25 items (int)\n  [0] 0")
    assert text.endswith("… 15 more")
    assert label([1, 2]) == "list of 2" and label(3) == "int"


def test_a_long_list_or_set_is_summarized_from_a_sample_not_read_whole() -> None:
    # Reading every item of a long container makes a summary as slow as the data is big.
    class Watched(list):
        read_whole = False

        def __iter__(self):  # type: ignore[no-untyped-def]
            Watched.read_whole = True
            return super().__iter__()

    text = summarize(Watched(range(50_000)))
    assert text.startswith("Watched of 50,000 items (int)\n  [0] 0")
    assert not Watched.read_whole

    class WatchedSet(set):
        items_read = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            for item in super().__iter__():
                WatchedSet.items_read += 1
                yield item

    text = summarize(WatchedSet(range(50_000)))
    assert text.startswith("WatchedSet of 50,000 items (int)")
    assert WatchedSet.items_read <= 100


def test_a_dataframe_gives_shape_dtypes_and_head() -> None:
    pandas = pytest.importorskip("pandas")
    df = pandas.DataFrame({"city": ["Oslo", "Lima"] * 500, "t": [1.5, None] * 500})
    text = summarize(df)
    assert text.startswith("pandas DataFrame: 1,000 rows × 2 columns")
    assert "  t: float64" in text and "missing values: 500" in text
    assert "head(5):" in text and "Oslo" in text
    assert label(df) == "DataFrame 1000×2"


def test_a_wide_dataframe_stays_within_the_bound() -> None:
    pandas = pytest.importorskip("pandas")
    df = pandas.DataFrame({f"column_with_a_long_name_{i}": ["x" * 200] * 10 for i in range(500)})
    text = summarize(df)
    assert len(text) <= SUMMARY_LIMIT
    assert "… and 460 more columns" in text


def test_a_numpy_array_gives_shape_dtype_and_statistics() -> None:
    numpy = pytest.importorskip("numpy")
    array = numpy.arange(12.0).reshape(3, 4)
    array[0, 0] = numpy.nan
    text = summarize(array)
    assert text.startswith("NumPy array: shape (3, 4), dtype float64")
    assert "min 1 max 11 mean 6" in text and "NaN: 1" in text
    assert label(array) == "ndarray 3×4 float64"
    assert len(summarize(numpy.zeros((2000, 2000)))) <= SUMMARY_LIMIT


def test_summaries_never_import_pandas_or_numpy() -> None:
    code = (
        "import sys\n"
        "from amplifier_jupyter.notebook_context import summarize, interpolate\n"
        "summarize({'a': [1, 2]}); summarize(object()); interpolate('{x}', {'x': [1]})\n"
        "print('pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_variable_list_hides_modules_underscores_and_ipython_names() -> None:
    ns = {"df": [1, 2], "_private": 1, "In": [], "json": json, "total": 3, "In_": 1}
    text = list_variables(ns, hidden={"In_"})
    assert text.splitlines() == ["df: list of 2 = [1, 2]", "total: int = 3"]


# -- tracebacks ------------------------------------------------------------------


def test_a_traceback_names_the_error_and_its_line() -> None:
    try:
        print(1 / 0)
    except ZeroDivisionError as error:
        text = format_exception(error)
    assert text.startswith("Traceback (most recent call last):")
    assert "print(1 / 0)" in text and text.endswith("ZeroDivisionError: division by zero")


def test_a_deep_traceback_keeps_its_end_within_the_bound() -> None:
    # Two functions in turn: Python folds identical consecutive frames only.
    def ping(n: int) -> None:
        if n == 0:
            raise ValueError("the bottom")
        pong(n - 1)

    def pong(n: int) -> None:
        ping(n)

    try:
        ping(300)
    except ValueError as error:
        text = format_exception(error)
    assert len(text) <= SUMMARY_LIMIT
    assert text.endswith("ValueError: the bottom") and "characters left out" in text


# -- the saved notebook and the prompt ---------------------------------------------------


def write_notebook(path: Path) -> Path:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Sales\n", "by city"]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": "print('hi')",
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["hi\n"]},
                {"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}},
            ],
        },
        {"cell_type": "code", "execution_count": None, "source": "x = 2", "outputs": []},
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {},
            "source": "print('y' * 10000)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "y" * 10000}],
        },
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def test_the_saved_notebook_is_found_through_jpy_session_name(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "analysis.ipynb")
    assert notebook_path({"JPY_SESSION_NAME": str(path)}) == path
    assert notebook_path({"JPY_SESSION_NAME": str(tmp_path / "gone.ipynb")}) is None
    assert notebook_path({}) is None


def test_the_saved_notebook_renders_every_cell_with_trimmed_outputs(tmp_path: Path) -> None:
    notebook = read_notebook(write_notebook(tmp_path / "analysis.ipynb"))
    text = render_notebook(notebook)
    assert "[0] markdown:\n# Sales\nby city" in text
    assert "[1] code, In [1]:\n```python\nprint('hi')\n```\noutput:\nhi\n[image/png]" in text
    assert "[2] code, In [ ]:\n```python\nx = 2\n```" in text  # not run yet, still sent
    assert "more characters not sent" in text and len(text) < 4_000
    assert len(render_notebook(notebook, limit=500)) <= 500


def test_compose_puts_the_context_first_and_the_prompt_last() -> None:
    assert compose("why?", []) == "why?"
    text = compose("why?", ["## Last error\n\nboom"])
    assert text.startswith("<notebook_context>") and text.endswith("</notebook_context>\n\nwhy?")


@pytest.mark.parametrize("content", ["[1, 2]", '{"cells": "oops"}', '{"cells": [3]}', "{}"])
def test_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path: Path, content: str) -> None:
    from amplifier_jupyter.notebook_context.saved_notebook import NoSavedNotebook

    path = tmp_path / "broken.ipynb"
    path.write_text(content)
    with pytest.raises(NoSavedNotebook, match="broken.ipynb: it is not a notebook"):
        read_notebook(path)
