"""Browser tests: a real JupyterLab server and Debian's chromium driven by Playwright.

Fixtures, smallest first:

- ``lab_env``: extra environment for the server and its kernels (a module
  overrides it, e.g. to point ``ANTHROPIC_BASE_URL`` at a fake Messages API);
- ``lab_options``: the server's app and more options (a module overrides it:
  ``{"app": "notebook"}`` for Notebook 7, ``{"args": gateway.lab_args()}``);
- ``kernel_gateway``: Jupyter Kernel Gateway on 127.0.0.1, one per test session
  (started by the first module that asks for it);
- ``lab``: a :class:`LabServer` for the test module (random port and token,
  scratch root folder); it fails in one line when the lab extension is not
  installed (the tests never build it: the wheel carries it);
- ``browser``: chromium for the test module; the tests skip, saying why,
  only when ``/usr/bin/chromium`` is missing (CI installs it);
- ``page``: a fresh page per test; on failure a screenshot goes to
  ``test-artifacts/<test>-failed.png``;
- ``notebook``: a :class:`NotebookPage` on that page (open, run, wait, shoot).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gateway_server import KernelGateway  # noqa: E402
from lab_page import ARTIFACTS, NotebookPage  # noqa: E402
from lab_server import LabServer, extension_problem  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    """Keep each phase's report on the test item, so fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def lab_env() -> dict[str, str]:
    """Extra environment for the Lab server and its kernels (override it in a module)."""
    return {}


@pytest.fixture(scope="module")
def lab_options() -> dict[str, Any]:
    """More keyword arguments of :class:`LabServer` (override it in a module)."""
    return {}


@pytest.fixture(scope="session")
def kernel_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KernelGateway]:
    """Jupyter Kernel Gateway for the whole test session (its kernels: ``lab_options``)."""
    gateway = KernelGateway(tmp_path_factory.mktemp("gateway")).start()
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
    lab_env: dict[str, str],
    lab_options: dict[str, Any],
) -> Iterator[LabServer]:
    """A JupyterLab server for one test module, with no API key of the user's in reach."""
    problem = extension_problem()
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    home = tmp_path_factory.mktemp("lab")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    with LabServer(home, env={**env, **lab_env}, **lab_options) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium (Debian's, never a downloaded one) for one test module."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh browser context; a failing test leaves a screenshot behind."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        shot = ARTIFACTS / f"{request.node.name}-failed.png"
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(shot))
        else:
            shot.unlink(missing_ok=True)  # an earlier run's failure is not this one's
        context.close()


@pytest.fixture
def notebook(page: Any, lab: LabServer) -> NotebookPage:
    """The page, ready to open a notebook of the Lab server."""
    return NotebookPage(page, lab)
