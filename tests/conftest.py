"""Shared fixtures: real kernels, started with this interpreter."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_anthropic import FakeAnthropic  # noqa: E402
from fake_fixtures import fake_anthropic  # noqa: E402, F401  (a fixture for every test)
from kernel_harness import Kernel, fake_api_env, offline_env  # noqa: E402


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
