"""Shared fixtures: real kernels, started with this interpreter."""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from bridge_frontend import tabs  # noqa: E402, F401  (fake notebook tabs, closed after a test)
from fake_anthropic import FakeAnthropic  # noqa: E402
from fake_fixtures import fake_anthropic  # noqa: E402, F401  (a fixture for every test)
from kernel_harness import Kernel, fake_api_env, offline_env  # noqa: E402

# Set by .ci/run, which installs the wheel (not editable) into a fresh venv.
EXPECT_INSTALLED = "AMPLIFIER_JUPYTER_EXPECT_INSTALLED"

# `python -P -m pytest` keeps the working directory (a checkout) off this process's
# sys.path; kernels get the same, or IPython would put their working directory (the
# checkout, for a kernel started without a cwd) before site-packages.
if sys.flags.safe_path:
    os.environ["PYTHONSAFEPATH"] = "1"


@pytest.fixture(scope="session", autouse=True)
def installed_package_under_test() -> None:
    """With ``AMPLIFIER_JUPYTER_EXPECT_INSTALLED=1``, ``amplifier_jupyter`` must come from
    this venv's site-packages, in this process and in a kernel started as the tests start
    theirs: a checkout on ``sys.path`` must not stand in for the installed wheel."""
    if os.environ.get(EXPECT_INSTALLED) != "1":
        return
    import amplifier_jupyter

    site = Path(sysconfig.get_path("purelib")).resolve()
    probe = (
        "import json, sysconfig, amplifier_jupyter\n"
        "print(json.dumps([amplifier_jupyter.__file__, sysconfig.get_path('purelib')]))"
    )
    with Kernel(env=offline_env()) as kernel:  # no cwd: the test process's, as tests do
        result = kernel.execute(probe)
    assert result.ok, result.error
    in_kernel, kernel_site = json.loads(result.stdout)
    places = {
        "the test process": Path(amplifier_jupyter.__file__).resolve(),
        f"a kernel (cwd {os.getcwd()})": Path(in_kernel).resolve(),
    }
    for where, path in places.items():
        if not path.is_relative_to(site) or Path(kernel_site).resolve() != site:
            pytest.exit(
                f"{EXPECT_INSTALLED}=1, but {where} imports amplifier_jupyter from {path}, "
                f"not from {site}: install the wheel, not -e, and run `python -P -m pytest`",
                returncode=1,
            )


@contextmanager
def _kernel_with_extension(env: dict[str, str], cwd: Path) -> Iterator[Kernel]:
    with Kernel(env=env, cwd=str(cwd)) as k:
        result = k.execute("%load_ext amplifier_jupyter")
        assert result.ok, result.error
        yield k


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """A kernel with the extension loaded, shared by one test module, in a scratch folder."""
    with _kernel_with_extension(offline_env(), tmp_path_factory.mktemp("kernel")) as k:
        yield k


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAnthropic]:
    """The fake Messages API, in this process, shared by one test module (``reset()`` it)."""
    with FakeAnthropic() as server:
        yield server


@pytest.fixture(scope="module")
def fake_kernel(fake: FakeAnthropic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """Like ``kernel``, but its env points at ``fake``: the default plan's provider-claude
    reaches it through the real SDK."""
    env = offline_env(**fake_api_env(fake.url))
    with _kernel_with_extension(env, tmp_path_factory.mktemp("kernel")) as k:
        yield k
