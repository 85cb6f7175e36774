"""Dollar amounts in an answer as JupyterLab renders them: dollars, not MathJax math,
in the final Markdown output, while a real formula in the same answer is still typeset
(ui/dollars.py), and in the panel of a background run, whose answer stays there as text."""

from __future__ import annotations

from kernel_harness import scripted_plan_json
from lab_page import NotebookPage
from playwright.sync_api import Locator, expect

ANSWER = (
    "Revenue was $50,000 … costs ($2,310), about $5 and $10 a day; "
    "the model $y = 2^n$ fits, and `$5 and $10` is code."
)
SHOWN = "Revenue was $50,000 … costs ($2,310), about $5 and $10 a day;"
SETUP = f"%load_ext amplifier_jupyter\n%amplifier config {scripted_plan_json(ANSWER, ANSWER)}"
CELLS = [SETUP, "%%amplifier\nHow did the quarter go?", "%%amplifier --background\nAnd now?"]


def shows_dollars_and_one_formula(answer: Locator) -> None:
    """The rendered answer: its dollars as written, the code as code, one formula typeset."""
    # MathJax typesets after the Markdown renders: the one formula shows it has run
    # (before the dollars were escaped there were three: "50,000 … costs (", "5 and ").
    expect(answer.locator("mjx-container")).to_have_count(1, timeout=20_000)
    expect(answer.locator("mjx-container")).not_to_contain_text("50")
    expect(answer).to_contain_text(SHOWN)
    expect(answer.locator("code")).to_have_text("$5 and $10")


def test_dollar_amounts_render_as_dollars_not_math(notebook: NotebookPage) -> None:
    notebook.lab.write_notebook("dollars.ipynb", CELLS)
    notebook.open("dollars.ipynb")
    notebook.run_in_place(0)
    notebook.run_in_place(1)
    final = notebook.output(1)
    expect(final.locator(".amplifier-status")).to_contain_text("Done")
    # The streamed text gave way to the final Markdown output, the only one left.
    expect(final.locator(".jp-RenderedMarkdown")).to_have_count(1)
    shows_dollars_and_one_formula(final.locator(".jp-RenderedMarkdown"))
    notebook.screenshot("dollars-final", notebook.cell(1))

    notebook.run_in_place(2)
    panel = notebook.output(2).locator(".amplifier-panel")
    expect(panel.locator(".amplifier-status")).to_contain_text("Done", timeout=30_000)
    # The panel shows a background run's answer as text, which nothing typesets.
    answer = panel.locator(".amplifier-answer")
    expect(answer).to_contain_text(SHOWN, timeout=20_000)
    expect(answer.locator("mjx-container")).to_have_count(0)
    notebook.screenshot("dollars-panel", notebook.cell(2))
