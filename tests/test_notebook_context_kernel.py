"""The notebook as context, in a real kernel: what the user writes and what reaches the
Messages API (the fake one on 127.0.0.1, through provider-claude and the real SDK)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic
from kernel_harness import CellResult, Kernel


@pytest.fixture(scope="module")
def kernel(fake_kernel: Kernel) -> Kernel:
    """A kernel whose default plan (provider-claude) talks to the fake."""
    return fake_kernel


def fresh_session(kernel: Kernel, fake: FakeAnthropic) -> None:
    """A new session with the default plan; the fake forgets earlier requests."""
    result = kernel.execute("%amplifier reset")
    assert result.ok, result.error
    fake.reset()


def text_of(content: Any) -> str:
    """The text of a message's content (a string, or text blocks)."""
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if b.get("type") == "text")


def user_texts(fake: FakeAnthropic) -> list[str]:
    """The user turns of the last request, as text (tool results left out)."""
    texts = [text_of(m["content"]) for m in fake.bodies[-1]["messages"] if m["role"] == "user"]
    return [text for text in texts if text]


def sent_text(fake: FakeAnthropic) -> str:
    """The user text of the last request that reached the API."""
    return user_texts(fake)[-1]


def in_cell(kernel: Kernel, code: str, cell_id: str) -> CellResult:
    """Execute as a notebook frontend does: with the cell's id in the request metadata."""
    return kernel.execute(code, cell_id=cell_id)


def count_of(result: CellResult) -> int:
    return result.reply["content"]["execution_count"]


def test_interpolated_text_reaches_the_api_and_typos_are_named(
    kernel: Kernel, fake: FakeAnthropic
) -> None:
    fresh_session(kernel, fake)
    kernel.execute("threshold = 0.75\nconfig = {'lr': 0.01}\nrows = list(range(10_000))")
    cell = '%%amplifier\nUse {threshold} and {config[lr]}; keep {"a": 1} and {threshhold}. {rows}'
    result = kernel.execute(cell)
    assert result.ok and result.stderr == "", result.error
    text = sent_text(fake)
    assert text.startswith('Use 0.75 and 0.01; keep {"a": 1} and {threshhold}. list of 10,000')
    assert len(text) < 4_100  # the list went as its bounded summary
    assert "amplifier: left as written (no such variable): {threshhold}" in result.stdout
    assert "amplifier: sent: {threshold} (float) · {config[lr]} (float) · {rows}" in result.stdout


def test_no_interpolate_sends_the_text_untouched(kernel: Kernel, fake: FakeAnthropic) -> None:
    fresh_session(kernel, fake)
    kernel.execute("threshold = 0.75")
    result = kernel.execute("%%amplifier --no-interpolate\nf'{threshold}' {threshold}")
    assert result.ok and "sent:" not in result.stdout
    assert sent_text(fake) == "f'{threshold}' {threshold}"


def test_cells_send_source_printed_output_result_and_error(
    kernel: Kernel, fake: FakeAnthropic
) -> None:
    fresh_session(kernel, fake)
    first = count_of(kernel.execute("print('hello from a cell')"))
    kernel.execute("total = 6 * 7\ntotal")
    kernel.execute("{}['missing']")
    last = count_of(kernel.execute("'not sent'"))
    result = kernel.execute(f"%%amplifier --cells {first}-{last - 1}\nWhat happened?")
    assert result.ok, result.error
    assert f"amplifier: sent: cells {first}–{last - 1}" in result.stdout
    text = sent_text(fake)
    assert text.startswith("<notebook_context>") and text.endswith("What happened?")
    assert f"In [{first}]:\n```python\nprint('hello from a cell')\n```" in text
    assert "printed output:\nhello from a cell" in text
    assert f"Out [{first + 1}]:\n42" in text
    assert "KeyError: 'missing'" in text
    assert "not sent" not in text


def test_the_last_two_cells_and_a_missing_one(kernel: Kernel, fake: FakeAnthropic) -> None:
    fresh_session(kernel, fake)
    kernel.execute("a = 'first'")
    kernel.execute("b = 'second'")
    result = kernel.execute("%%amplifier --cells -2:,99999\nExplain.")
    text = sent_text(fake)
    assert "a = 'first'" in text and "b = 'second'" in text
    assert "amplifier: --cells: no earlier cell [99999]" in result.stdout


def test_error_sends_the_last_traceback(kernel: Kernel, fake: FakeAnthropic) -> None:
    fresh_session(kernel, fake)
    kernel.execute("def ratio(a, b):\n    return a / b\n")
    kernel.execute("ratio(1, 0)")
    result = kernel.execute("%%amplifier --error\nWhy?")
    assert "amplifier: sent: last error ZeroDivisionError" in result.stdout
    text = sent_text(fake)
    assert "## Last error\n\nTraceback (most recent call last):" in text
    assert "return a / b" in text and "ZeroDivisionError: division by zero" in text
    assert "interactiveshell.py" not in text  # the kernel's own frames are left out
    assert 'File "Cell In[' in text and "ipykernel_" not in text  # cells named as IPython does


def test_vars_send_type_aware_bounded_summaries(kernel: Kernel, fake: FakeAnthropic) -> None:
    pytest.importorskip("pandas")
    fresh_session(kernel, fake)
    kernel.execute(
        "import pandas as pd, numpy as np\n"
        "df = pd.DataFrame({'a': range(1000), 'b': 1.5, 'c': 'x', 'd': None})\n"
        "arr = np.arange(12.0).reshape(3, 4)\n"
        "blob = {'k%d' % i: 'v' * 1000 for i in range(1000)}"
    )
    result = kernel.execute("%%amplifier --vars df,arr,blob,nope\nDescribe.")
    assert "sent: df (DataFrame 1000×4) · arr (ndarray 3×4 float64) · blob (dict of 1,000)" in (
        result.stdout
    )
    assert "amplifier: --vars: nope not sent: no variable named nope" in result.stdout
    text = sent_text(fake)
    assert "pandas DataFrame: 1,000 rows × 4 columns" in text and "head(5):" in text
    assert "NumPy array: shape (3, 4), dtype float64\nmin 0 max 11" in text
    blob = text.split("### blob (dict of 1,000)\n", 1)[1].split("\n</notebook_context>")[0]
    assert len(blob) <= 4_000


def test_notebook_sends_the_saved_file_and_says_when_it_was_saved(
    kernel: Kernel, fake: FakeAnthropic, tmp_path: Path
) -> None:
    fresh_session(kernel, fake)
    path = tmp_path / "analysis.ipynb"
    cells = [
        {"cell_type": "markdown", "source": "# Churn study"},
        {"cell_type": "code", "execution_count": None, "outputs": [], "source": "model.fit(X, y)"},
    ]
    path.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5}))
    kernel.execute(f"import os\nos.environ['JPY_SESSION_NAME'] = {str(path)!r}")
    try:
        result = kernel.execute("%%amplifier --notebook\nWhat is next?")
    finally:
        kernel.execute("del os.environ['JPY_SESSION_NAME']")
    assert "amplifier: sent: notebook analysis.ipynb (as saved " in result.stdout
    text = sent_text(fake)
    assert "[0] markdown:\n# Churn study" in text and "model.fit(X, y)" in text
    missing = kernel.execute("%%amplifier --notebook\nAgain?")
    assert "--notebook: this kernel does not know its notebook file" in missing.stdout


def test_rerunning_the_latest_cell_replaces_its_turn(kernel: Kernel, fake: FakeAnthropic) -> None:
    fresh_session(kernel, fake)
    in_cell(kernel, "%%amplifier\nFirst question.", "cell-1")
    in_cell(kernel, "%%amplifier\nA draft prompt.", "cell-2")
    result = in_cell(kernel, "%%amplifier\nThe refined prompt.", "cell-2")
    assert result.ok and "added at the end" not in result.stdout
    # Not silent: the cell's first line says so.
    assert result.stdout.splitlines()[0] == (
        "amplifier: replaced the last turn: this cell's earlier prompt and answer left the "
        "conversation"
    )
    assert [m["role"] for m in fake.bodies[-1]["messages"]] == ["user", "assistant", "user"]
    assert user_texts(fake) == ["First question.", "The refined prompt."]
    turns = kernel.execute(
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
        "print(_ks().turns, len(await _ks().messages()))"
    )
    assert turns.stdout.split() == ["2", "4"]


def test_rerunning_an_earlier_cell_appends_and_says_so(kernel: Kernel, fake: FakeAnthropic) -> None:
    fresh_session(kernel, fake)
    in_cell(kernel, "%%amplifier\nOne.", "cell-a")
    in_cell(kernel, "%%amplifier\nTwo.", "cell-b")
    result = in_cell(kernel, "%%amplifier\nOne, again.", "cell-a")
    assert "the new run is added at the end of the conversation" in result.stdout
    assert user_texts(fake) == ["One.", "Two.", "One, again."]


def test_a_bad_flag_value_is_one_usage_line(kernel: Kernel, fake: FakeAnthropic) -> None:
    fake.reset()
    result = kernel.execute("%%amplifier --cells 5-3\nhi")
    assert result.ok and result.stdout == ""
    assert result.stderr.startswith("amplifier: --cells '5-3' runs backwards: write 3-5.")
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake.bodies == []  # nothing was sent
