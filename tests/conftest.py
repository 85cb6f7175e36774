"""Shared fixtures: real kernels, started with this interpreter."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_fixtures import fake_anthropic  # noqa: E402, F401  (a fixture for every test)
from kernel_harness import Kernel, offline_env  # noqa: E402


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """A kernel with the extension loaded, shared by one test module, in a scratch folder."""
    cwd = tmp_path_factory.mktemp("kernel")
    with Kernel(env=offline_env(), cwd=str(cwd)) as k:
        result = k.execute("%load_ext amplifier_jupyter")
        assert result.ok, result.error
        yield k
