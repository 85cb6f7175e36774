"""A notebook open in JupyterLab, as a test drives it: with the mouse and the keyboard.

Interactions go through the page like a user's (clicks, key presses);
assertions read the page, and, where the DOM is not exact enough (a cell's
source), the notebook model through ``window.jupyterapp`` (the server runs
with ``expose_app_in_browser``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lab_server import ROOT, LabServer
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ARTIFACTS = ROOT / "test-artifacts"
EXECUTED = re.compile(r"\[\d+\]")
# The kernel and the Lab server are local, but a first run imports amplifier_core
# and starts a session, and a kernel behind a gateway starts through one more server,
# on a CI machine that may be busy: give it room without waiting forever.
RUN_TIMEOUT_MS = 60_000
KERNEL_START_TIMEOUT_MS = 180_000


class NotebookPage:
    """One JupyterLab page showing one notebook of ``lab``."""

    def __init__(self, page: Page, lab: LabServer) -> None:
        self.page = page
        self.lab = lab

    # -- opening ---------------------------------------------------------

    def open(self, name: str) -> NotebookPage:
        """Open a notebook from the server's root and wait for its kernel."""
        self.page.goto(self.lab.url_for(name))
        expect(self.cells.first).to_be_visible(timeout=RUN_TIMEOUT_MS)
        self.wait_kernel_ready()
        return self

    def wait_kernel_ready(self) -> None:
        """Wait until the notebook's kernel is connected and idle.

        A kernel still starting is progress, not a hang: on a busy machine a kernel
        started through a gateway took over a minute once (CI), so the wait goes on
        while the kernel says ``starting``, up to ``KERNEL_START_TIMEOUT_MS``. A
        timeout says where the kernel was and ends with the server's log.
        """
        # A cell run before the kernel is connected is dropped, without a word.
        ready = """() => {
            const panel = window.jupyterapp?.shell.currentWidget;
            const kernel = panel?.sessionContext?.session?.kernel;
            return kernel?.connectionStatus === 'connected' && kernel.status === 'idle';
        }"""
        try:
            self.page.wait_for_function(ready, timeout=RUN_TIMEOUT_MS)
            return
        except PlaywrightTimeout:
            if self.kernel_state()[1] not in ("starting", "unknown", None):
                raise AssertionError(self._not_ready()) from None
        try:
            self.page.wait_for_function(ready, timeout=KERNEL_START_TIMEOUT_MS - RUN_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(self._not_ready()) from None

    def kernel_state(self) -> tuple[str | None, str | None]:
        """The kernel's connection status and status as the page sees them."""
        state = self.page.evaluate(
            """() => {
                const panel = window.jupyterapp?.shell.currentWidget;
                const kernel = panel?.sessionContext?.session?.kernel;
                return [kernel?.connectionStatus ?? null, kernel?.status ?? null];
            }"""
        )
        return state[0], state[1]

    def _not_ready(self) -> str:
        connection, status = self.kernel_state()
        return (
            f"the kernel was not ready (connection {connection}, status {status});"
            f" the server's log ends:\n{self.lab.log()}"
        )

    # -- locators --------------------------------------------------------

    @property
    def panel(self) -> Locator:
        """The notebook panel (toolbar and cells)."""
        # Tabs of other notebooks stay in the DOM, hidden.
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    @property
    def toolbar(self) -> Locator:
        """The notebook's toolbar."""
        return self.panel.locator(".jp-NotebookPanel-toolbar")

    @property
    def cells(self) -> Locator:
        """Every cell widget, in order."""
        return self.panel.locator(".jp-Notebook .jp-Notebook-cell")

    def cell(self, index: int) -> Locator:
        """The cell widget at ``index``."""
        return self.cells.nth(index)

    def output(self, index: int) -> Locator:
        """The output area of the cell at ``index``."""
        return self.cell(index).locator(".jp-Cell-outputArea")

    # -- the model -------------------------------------------------------

    def sources(self) -> list[str]:
        """Every cell's source, exactly, from the notebook model."""
        return self.page.evaluate(
            """() => {
                const panel = window.jupyterapp.shell.currentWidget;
                return panel.content.model.sharedModel.cells.map(c => c.getSource());
            }"""
        )

    def wait_for_sources(self, expected: list[str]) -> None:
        """Wait until the cells' sources are exactly ``expected`` (fails with both lists)."""
        try:
            self.page.wait_for_function(
                """expected => {
                    const panel = window.jupyterapp.shell.currentWidget;
                    const sources = panel.content.model.sharedModel.cells.map(c => c.getSource());
                    return JSON.stringify(sources) === JSON.stringify(expected);
                }""",
                arg=expected,
                timeout=5_000,
            )
        except PlaywrightTimeout:
            assert self.sources() == expected  # shows both lists
            raise

    def execution_counts(self) -> list[Any]:
        """Every cell's execution count (None where it has not run)."""
        return self.page.evaluate(
            """() => {
                const panel = window.jupyterapp.shell.currentWidget;
                return panel.content.model.sharedModel.cells.map(c => c.execution_count ?? null);
            }"""
        )

    # -- acting ----------------------------------------------------------

    def click_editor(self, index: int) -> None:
        """Click into the cell's editor (edit mode, cursor in that cell)."""
        self.cell(index).locator(".cm-content").click()

    def start(self, index: int) -> None:
        """Run a cell with Ctrl+Enter (the selection stays on it), without waiting for it."""
        self.click_editor(index)
        self.page.keyboard.press("Control+Enter")

    def run_in_place(self, index: int) -> None:
        """Run a cell with Ctrl+Enter (the selection stays on it) and wait until it ran."""
        self.start(index)
        self.wait_executed(index)

    def wait_executed(self, index: int) -> None:
        """Wait until the cell shows an execution count."""
        expect(self.cell(index).locator(".jp-InputPrompt")).to_have_text(
            EXECUTED, timeout=RUN_TIMEOUT_MS
        )

    def interrupt_kernel(self) -> None:
        """Interrupt the kernel with the toolbar's button (■)."""
        self.toolbar.locator('[data-command="notebook:interrupt-kernel"]').click()

    def restart_kernel(self, *, run_all: bool = False) -> None:
        """Restart the kernel with the toolbar's button (or Restart and Run All's) and confirm."""
        command = "notebook:restart-run-all" if run_all else "notebook:restart-kernel"
        self.toolbar.locator(f'[data-command="{command}"]').click()
        dialog = self.page.locator(".jp-Dialog")
        dialog.locator(".jp-mod-accept").click()
        expect(dialog).to_have_count(0)

    def screenshot(self, name: str, target: Locator | None = None) -> Path:
        """Save a screenshot (of ``target``, else the page) into ``test-artifacts/``."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        (target or self.page).screenshot(path=str(path))
        return path
