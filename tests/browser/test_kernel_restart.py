"""The lab extension and the kernel's lifecycle (issue 17, items 4 and 5).

- A cell that uses ``%%amplifier`` works without ``%load_ext`` having run in this kernel:
  on a notebook's first run, after a restart, and under Restart and Run All, where the
  extension's silent load must reach the new kernel before the first cell does.
- A panel whose run a restart or a crash of the kernel ended says so, and its buttons go.
- A kernel that cannot load amplifier_jupyter gets one line saying why and what to do,
  not IPython's bare ``UsageError``.

The kernels reach the fake Messages API (tests/conftest.py) through the default plan.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import fake_api_env
from lab_page import RUN_TIMEOUT_MS, NotebookPage
from playwright.sync_api import expect

SETUP = "%load_ext amplifier_jupyter\n%amplifier approve allow python"
SLEEP = "import time\nprint('blocking', flush=True)\ntime.sleep(60)"
# The kernel dies a second after saying so: a kernel that dies at once can take the
# panel's first messages with it (they leave on the kernel's IOPub thread), and then
# there is no panel to mark.
CRASH = "import os, time\nprint('crashing', flush=True)\ntime.sleep(1)\nos._exit(1)"
# A kernel of this interpreter in which `import amplifier_jupyter` fails as it does in an
# environment that lacks the package ("No module named 'amplifier_jupyter'").
HIDDEN = "python3-without-amplifier"
HIDE_AND_LAUNCH = """import sys
class HidePackage:
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] == 'amplifier_jupyter':
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
sys.meta_path.insert(0, HidePackage())
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""
HIDING_KERNEL = {
    "argv": [
        sys.executable,
        "-c",
        HIDE_AND_LAUNCH,
        "-f",
        "{connection_file}",
    ],
    "display_name": "Python 3 (without amplifier_jupyter)",
    "language": "python",
}


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The fake's address for the kernels, and a kernelspec that cannot import the package."""
    data = tmp_path_factory.mktemp("jupyter-data")
    spec = data / "kernels" / HIDDEN / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(json.dumps(HIDING_KERNEL), encoding="utf-8")
    return {**fake_api_env(fake.url), "JUPYTER_PATH": str(data)}


def answer(notebook: NotebookPage, index: int) -> object:
    """The rendered Markdown answer of the cell at ``index``."""
    return notebook.output(index).locator(".jp-RenderedMarkdown")


def test_prompt_cells_run_without_a_load_cell_first_and_after_restart_and_run_all(
    notebook: NotebookPage, fake: FakeAnthropic
) -> None:
    fake.reset()
    fake.enqueue("First answer.", "First again.", "Second again.")
    notebook.lab.write_notebook("no-load.ipynb", ["%%amplifier\nFirst?", "%%amplifier\nSecond?"])
    notebook.open("no-load.ipynb")

    # The notebook's first run: no cell loads the extension, the lab extension does.
    notebook.run_in_place(0)
    expect(answer(notebook, 0)).to_contain_text("First answer.", timeout=RUN_TIMEOUT_MS)
    # The load was silent: not in the history, so the cell is the kernel's first.
    assert notebook.execution_counts() == [1, None]

    # Restart and Run All sends the first cell as soon as the new kernel is there: the
    # load must go to the new kernel before it.
    notebook.restart_kernel(run_all=True)
    expect(answer(notebook, 1)).to_contain_text("Second again.", timeout=RUN_TIMEOUT_MS)
    expect(answer(notebook, 0)).to_contain_text("First again.")
    expect(notebook.panel.locator(".jp-Notebook")).not_to_contain_text("UsageError")
    assert notebook.execution_counts() == [1, 2]


@pytest.mark.parametrize(
    ("how", "note"),
    [
        ("restart", "The kernel restarted: this run ended."),
        ("crash", "The kernel died and restarted: this run ended."),
    ],
)
def test_a_kernel_restart_during_a_run_ends_its_panel_and_the_next_prompt_cell_works(
    notebook: NotebookPage, fake: FakeAnthropic, how: str, note: str
) -> None:
    fake.reset()
    code = SLEEP if how == "restart" else CRASH
    fake.enqueue("Hello.", tool_reply("python", {"code": code}), "Still here.")
    cells = [SETUP, "%%amplifier\nHi.", "%%amplifier\nRun the code.", "%%amplifier\nThere?"]
    notebook.lab.write_notebook(f"{how}.ipynb", cells)
    notebook.open(f"{how}.ipynb")
    notebook.run_in_place(0)
    notebook.run_in_place(1)  # a finished run: its summary stays as it is
    expect(answer(notebook, 1)).to_contain_text("Hello.", timeout=RUN_TIMEOUT_MS)
    finished = notebook.output(1).inner_text()
    notebook.start(2)
    panel = notebook.output(2).locator(".amplifier-panel")
    dialog = notebook.page.locator(".jp-Dialog")
    if how == "restart":
        expect(notebook.output(2)).to_contain_text("blocking", timeout=RUN_TIMEOUT_MS)
        expect(panel.locator("button:visible")).not_to_have_count(0)  # Stop, while it runs
        notebook.restart_kernel()
    else:
        expect(notebook.output(2)).to_contain_text("crashing", timeout=RUN_TIMEOUT_MS)
        # The server restarts the dead kernel; JupyterLab says so in a dialog.
        expect(dialog).to_contain_text("appears to have died", timeout=RUN_TIMEOUT_MS)
        dialog.locator(".jp-mod-accept").click()
        expect(dialog).to_have_count(0)

    # The panel can no longer change: it says why, and offers no button that does nothing.
    expect(panel).to_contain_text(note, timeout=RUN_TIMEOUT_MS)
    expect(panel.locator("button:visible")).to_have_count(0)
    assert notebook.output(1).inner_text() == finished
    expect(notebook.output(1).locator(".amplifier-ended")).to_have_count(0)
    notebook.screenshot(f"{how}-during-a-run", notebook.cell(2))

    # The next prompt cell works in the new kernel, with no %load_ext run again.
    notebook.wait_kernel_ready()
    notebook.start(3)
    expect(answer(notebook, 3)).to_contain_text("Still here.", timeout=RUN_TIMEOUT_MS)
    expect(notebook.output(3)).not_to_contain_text("UsageError")


def test_a_kernel_that_cannot_load_the_package_gets_one_line_that_says_what_to_do(
    notebook: NotebookPage,
) -> None:
    kernelspec = {"name": HIDDEN, "display_name": "Python 3 (without)", "language": "python"}
    notebook.lab.write_notebook(
        "hidden.ipynb", ["%%amplifier\nHello?", "%amplifier status"], kernelspec=kernelspec
    )
    notebook.open("hidden.ipynb")

    for index, magic in [(0, "%%amplifier"), (1, "%amplifier")]:
        notebook.run_in_place(index)
        output = notebook.output(index)
        expect(output).to_contain_text("could not load", timeout=RUN_TIMEOUT_MS)
        text = output.inner_text().strip()
        assert "\n" not in text, text
        assert text.startswith(f"UsageError: {magic} needs amplifier_jupyter"), text
        assert "(ModuleNotFoundError: No module named 'amplifier_jupyter')" in text, text
        assert re.search(r"install amplifier-jupyter into this kernel's environment", text), text
        assert "not found" not in text, text
