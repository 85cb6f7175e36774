"""In JupyterLab the panel's view reports itself, so a question waits for the click past
the grace in which a run with no view would get its default (``ui/approval_headless.py``).

Without the report (``{"type": "rendered"}`` from ``assets/panel.js``) the question would
close as unanswered once the grace ran out, and the click below would find no button.
"""

from __future__ import annotations

import re

import pytest
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import fake_api_env
from lab_page import NotebookPage
from playwright.sync_api import expect

GRACE = 3
LOAD = "%load_ext amplifier_jupyter"
PROMPT = "%%amplifier\nRun print(6 * 7) to check."
# The run's clock (the status line) past the grace, with the question still open.
PAST_GRACE = re.compile(r"Waiting for approval · (\d{2,}|[" + str(GRACE + 2) + r"-9])\.\d s")


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    """Kernels reach the fake; a short grace, so the test need not wait ten seconds."""
    return {**fake_api_env(fake.url), "AMPLIFIER_JUPYTER_VIEW_GRACE": str(GRACE)}


def test_a_question_in_jupyterlab_waits_past_the_grace_for_the_click(
    notebook: NotebookPage, fake: FakeAnthropic
) -> None:
    fake.reset()
    fake.enqueue(tool_reply("python", {"code": "print(6 * 7)"}), "It prints **42**.")
    notebook.lab.write_notebook("view.ipynb", [LOAD, PROMPT])
    notebook.open("view.ipynb")
    notebook.run_in_place(0)
    notebook.start(1)

    panel = notebook.output(1).locator(".amplifier-panel")
    card = panel.locator(".amplifier-approve")
    expect(card).to_contain_text("python", timeout=30_000)
    expect(panel.locator(".amplifier-status")).to_contain_text(PAST_GRACE, timeout=30_000)
    expect(card).to_have_count(1)
    card.get_by_role("button", name="Allow once").click()

    expect(notebook.output(1).locator(".jp-RenderedMarkdown strong")).to_have_text(
        "42", timeout=30_000
    )
    assert "nobody can answer" not in notebook.output(1).inner_text()
    assert len(fake.requests) == 2
