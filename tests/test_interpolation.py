"""``{name}`` interpolation: what is replaced, what is left exactly as written."""

from __future__ import annotations

import pytest

from amplifier_jupyter.notebook_context import SUMMARY_LIMIT, interpolate


class Point:
    def __init__(self) -> None:
        self.x = 3


NS = {"n": 42, "name": "Ada", "p": Point(), "d": {"k": "v", 1: "one"}, "xs": [10, 20, 30]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n is {n}", "n is 42"),
        ("hello {name}!", "hello Ada!"),
        ("x={p.x}", "x=3"),
        ("{d[k]} {d['k']} {d[\"k\"]} {d[1]}", "v v v one"),
        ("{xs[0]} and {xs[-1]}", "10 and 30"),
    ],
)
def test_references_are_replaced(text: str, expected: str) -> None:
    result = interpolate(text, NS)
    assert result.text == expected
    assert result.unresolved == []


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [1, 2]}',  # JSON
        "f'{n:.2f}' and {n!r}",  # format specs and conversions
        "{{n}} stays doubled",  # escaped braces
        "{n + 1} {len(xs)} {}",  # expressions are never evaluated
        "```python\nprint(f'{n}')\n```",  # fenced code
        "inline `{n}` code",  # a code span
        "{ n }",  # spaces: not a reference
    ],
)
def test_everything_else_is_left_exactly_as_written(text: str) -> None:
    result = interpolate(text, NS)
    assert result.text == text
    assert result.notices() == []


def test_code_is_left_but_prose_around_it_is_interpolated() -> None:
    text = "n={n}\n```\nx = {n}\n```\nthen `{n}` and {name}"
    assert interpolate(text, NS).text == "n=42\n```\nx = {n}\n```\nthen `{n}` and Ada"


def test_indented_fences_and_longer_closing_fences_are_code_too() -> None:
    # Markdown fences may be indented (in a list item) and may close with a longer run.
    text = "1. Run:\n   ```python\n   x = {n}\n   ```\n2. then {n}\n````\n{n}\n`````\nafter {n}"
    expected = "1. Run:\n   ```python\n   x = {n}\n   ```\n2. then 42\n````\n{n}\n`````\nafter 42"
    assert interpolate(text, NS).text == expected


def test_a_missing_name_is_left_and_named_once_in_one_notice() -> None:
    result = interpolate("{nn} and {nn} and {n} and {dd}", NS)
    assert result.text == "{nn} and {nn} and 42 and {dd}"
    assert result.notices() == ["left as written (no such variable): {nn}, {dd}"]


def test_a_missing_attribute_or_key_says_which() -> None:
    result = interpolate("{p.y} {d[z]} {xs[9]}", NS)
    assert result.text == "{p.y} {d[z]} {xs[9]}"
    assert result.notices() == [
        "left {p.y} as written: Point has no attribute 'y'",
        "left {d[z]} as written: dict has no item [z]",
        "left {xs[9]} as written: list has no item [9]",
    ]


def test_used_references_are_labelled_for_the_sent_line() -> None:
    result = interpolate("{n} {xs} {n}", NS)
    assert result.used == [("n", "int"), ("xs", "list of 3")]


def test_a_huge_value_is_sent_as_a_bounded_summary() -> None:
    big = list(range(100_000))
    result = interpolate("look: {big}", {"big": big})
    assert len(result.text) <= SUMMARY_LIMIT + len("look: ")
    assert result.text.startswith("look: list of 100,000 items (int)")
    assert result.notices() == ["sent a summary instead of the full value: {big}"]


def test_a_long_string_is_summarized_within_the_bound() -> None:
    result = interpolate("{s}", {"s": "word " * 5_000})
    assert len(result.text) <= SUMMARY_LIMIT
    assert result.text.startswith("str of 25,000 chars:")


def test_a_value_whose_str_fails_does_not_break_the_prompt() -> None:
    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

        def __repr__(self) -> str:
            raise RuntimeError("no")

    result = interpolate("{b}", {"b": Broken()})
    assert result.text == "<Broken: could not be summarized: RuntimeError: no>"


class Leaving(BaseException):
    """Not an Exception: user code may raise it all the same."""


class Raising:
    """Every way a value's own code runs during interpolation, each raising a BaseException."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __len__(self) -> int:
        raise self.error

    @property
    def shape(self) -> tuple[int, ...]:
        raise self.error

    @property
    def part(self) -> int:
        raise self.error

    def __getitem__(self, key: object) -> int:
        raise self.error

    def __str__(self) -> str:
        raise self.error

    __repr__ = __str__


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(2), Leaving("gone")])
def test_a_value_whose_code_raises_a_base_exception_is_named_not_raised(
    error: BaseException,
) -> None:
    name = type(error).__name__
    result = interpolate("{r} {r.part} {r[0]}", {"r": Raising(error)})
    assert result.text.startswith(f"<Raising: could not be summarized: {name}")
    assert result.text.endswith(" {r.part} {r[0]}")
    assert result.notices() == [
        f"left {{r.part}} as written: Raising.part could not be summarized: {name}",
        f"left {{r[0]}} as written: Raising[0] could not be summarized: {name}",
        "sent a summary instead of the full value: {r}",
    ]


def test_the_hosts_stop_is_let_through() -> None:
    from amplifier_jupyter.notebook_context.guard import ContextInterrupted

    with pytest.raises(ContextInterrupted):
        interpolate("{r}", {"r": Raising(ContextInterrupted())})
    with pytest.raises(ContextInterrupted):
        interpolate("{r.part}", {"r": Raising(ContextInterrupted())})


@pytest.mark.parametrize(
    "text",
    [
        r"Explain $\frac{n}{2}$ here.",
        "Display math:\n$$\n\\sum_{n} x_{n}\n$$\ndone",
        r"Inline $x^{n}$ and $\hat{n}$ twice.",
    ],
)
def test_latex_math_is_left_as_written(text: str) -> None:
    assert interpolate(text, {"n": 42}).text == text


def test_dollar_signs_that_are_not_math_do_not_stop_interpolation() -> None:
    namespace = {"price": 5, "low": 1, "high": 9}
    assert interpolate("It costs ${price} today.", namespace).text == "It costs $5 today."
    assert interpolate("Between ${low} and ${high}.", namespace).text == "Between $1 and $9."
    assert interpolate(r"Escaped \$ and {price}.", namespace).text == r"Escaped \$ and 5."
