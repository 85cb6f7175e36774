"""``%%amplifier --error N`` and ``--code`` in a real kernel (issue 20, items 2 and 3): the
error of the cell with execution count N reaches the Messages API (the fake one, through
provider-claude and the real SDK) whatever raised since; ``--code`` puts the answer's code
into a new cell below the prompt cell through the bridge, and without one shows it and
says so in one line."""

from __future__ import annotations

from typing import Any

from bridge_frontend import FakeFrontend, code, run
from fake_anthropic import FakeAnthropic
from kernel_harness import Kernel
from test_notebook_context_kernel import count_of, fresh_session, sent_text

from amplifier_jupyter.cell.code_answer import CODE_REQUEST, NO_BRIDGE

ANSWER = "Here it is:\n\n```python\ntotal = sum(values)\nprint(total)\n```\n"


def scripted(kernel: Kernel, *replies: Any) -> None:
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": list(replies)}}],
    }
    result = kernel.execute(f"%amplifier config {plan!r}".replace("'", '"'))
    assert result.ok and "plan set" in result.stdout, (result.stdout, result.stderr)


def test_error_n_sends_that_cells_source_and_error_not_the_last_one(
    fake_kernel: Kernel, fake: FakeAnthropic
) -> None:
    fresh_session(fake_kernel, fake)
    failing = count_of(fake_kernel.execute("values = [1, 2]\nvalues[5]"))
    fake_kernel.execute("1 / 0")  # raised later: the last exception is this one
    fine = count_of(fake_kernel.execute("ok = 1"))
    result = fake_kernel.execute(f"%%amplifier --error {failing}\nWhy does it fail?")
    assert result.ok, result.error
    assert f"amplifier: sent: error of cell {failing} IndexError" in result.stdout
    text = sent_text(fake)
    assert f"## The error of cell [{failing}]" in text
    assert f"In [{failing}]:\n```python\nvalues = [1, 2]\nvalues[5]\n```" in text
    assert "IndexError: list index out of range" in text
    assert "ZeroDivisionError" not in text
    assert text.endswith("Why does it fail?")

    # A cell without an error, one that never ran, a count that is no count: one line each.
    result = fake_kernel.execute(f"%%amplifier --error {fine}\nAnd this?")
    assert f"amplifier: --error {fine}: cell [{fine}] shows no error" in result.stdout
    result = fake_kernel.execute("%%amplifier --error 9999\nAnd this?")
    assert "amplifier: --error 9999: no earlier cell [9999] ran in this kernel" in result.stdout
    result = fake_kernel.execute("%%amplifier --error x\nAnd this?")
    assert "--error takes the execution count of the failing cell (e.g. --error 3)" in (
        result.stdout + result.stderr
    )
    # Plain --error is as before: the last exception.
    result = fake_kernel.execute("%%amplifier --error\nAnd the last?")
    assert "amplifier: sent: last error ZeroDivisionError" in result.stdout


def error_output(ename: str, evalue: str) -> dict[str, Any]:
    """An error output as a notebook stores it (IPython's traceback lines, colours and all)."""
    lines = ["\x1b[0;31m-----------\x1b[0m", f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": lines}


def test_error_n_after_a_restart_sends_the_error_the_notebook_still_shows(
    fake_kernel: Kernel, fake: FakeAnthropic
) -> None:
    """After a restart the counts start again: Ask or Fix on an earlier kernel's error
    (its ``--error N``) sends the error the notebook shows, not this kernel's cell [N]."""
    fresh_session(fake_kernel, fake)
    mine = count_of(fake_kernel.execute("ok = 2"))  # this kernel's [mine]: no error
    cells = [
        code("old", "prices['total']", mine, [error_output("KeyError", "'total'")]),
        code("new", "ok = 2", mine),
        code("gone", "plot(x)", 9000, [error_output("NameError", "name 'plot' is not defined")]),
        code("prompt", ""),
    ]
    tab = FakeFrontend(fake_kernel, cells=cells).open()
    try:
        result = run(fake_kernel, f"%%amplifier --error {mine}\nWhy?", tab, cell_id="prompt")
        assert result.ok, result.error
        assert f"error of cell {mine} KeyError from before the restart" in result.stdout
        text = sent_text(fake)
        assert (
            f"## The error of cell [{mine}] (cell id old; "
            "its output is from before the kernel restarted)"
        ) in text
        assert f"In [{mine}]:\n```python\nprices['total']\n```" in text
        assert "KeyError: 'total'" in text and "\x1b" not in text

        # A count this kernel never reached: the notebook's error too.
        result = run(fake_kernel, "%%amplifier --error 9000\nAnd this?", tab, cell_id="prompt")
        assert "error of cell 9000 NameError from before the restart" in result.stdout
        assert "plot(x)" in sent_text(fake)

        # This kernel's own failing cell wins over an older one showing the same count.
        failing = count_of(fake_kernel.execute("[][1]"))
        tab.cells.insert(0, code("older", "{}['x']", failing, [error_output("KeyError", "'x'")]))
        tab.cells.insert(1, code("mine", "[][1]", failing, [error_output("IndexError", "")]))
        result = run(fake_kernel, f"%%amplifier --error {failing}\nNow?", tab, cell_id="prompt")
        assert f"error of cell {failing} IndexError" in result.stdout
        assert "before the restart" not in result.stdout
        assert "{}['x']" not in sent_text(fake)
    finally:
        tab.close()


def test_code_asks_for_code_and_without_a_bridge_shows_it_in_one_line(
    fake_kernel: Kernel, fake: FakeAnthropic
) -> None:
    fresh_session(fake_kernel, fake)
    result = fake_kernel.execute("%%amplifier --code\nSum the values.")
    assert result.ok, result.error
    assert sent_text(fake) == "Sum the values." + CODE_REQUEST
    assert f"amplifier: {NO_BRIDGE}" in result.stdout
    assert result.markdown  # the answer is shown, as for any cell


def test_code_goes_into_a_new_cell_below_the_prompt_not_run(kernel: Kernel, tabs: list) -> None:
    scripted(kernel, ANSWER)
    prompt = code("prompt", "%%amplifier --code\nSum the values.")
    tab = FakeFrontend(kernel, cells=[code("above", "values = [1, 2]", 1), prompt]).open()
    tabs.append(tab)
    result = run(kernel, prompt["source"], tab, cell_id="prompt")
    assert result.ok, (result.stdout, result.stderr)
    assert [c["source"] for c in tab.cells] == [
        "values = [1, 2]",
        prompt["source"],
        "total = sum(values)\nprint(total)",
    ]
    (insert,) = [r for r in tab.requests if r["op"] == "insert"]
    assert insert["after"] == "prompt" and insert["cell_type"] == "code"
    assert not tab.queued  # not run
    assert "--code: inserted below as a new code cell (2 lines, not run)" in result.stdout
    assert kernel.execute("print(repr(_amplifier))").stdout.strip() == repr(
        "total = sum(values)\nprint(total)"
    )

    # Without the tab: the same answer is shown, and one line says it was not inserted.
    tab.close()
    tabs.remove(tab)
    scripted(kernel, ANSWER)
    result = kernel.execute(prompt["source"], cell_id="prompt")
    assert f"amplifier: {NO_BRIDGE}" in result.stdout
    assert any("total = sum(values)" in m for m in result.markdown)
