"""Shared fixtures: real kernels, started with this interpreter."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_fixtures import fake_anthropic  # noqa: E402, F401  (a fixture for every test)
from kernel_harness import Kernel  # noqa: E402


def offline_env(**extra: str) -> dict[str, str]:
    """An environment for kernels with no real API key anywhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    """A kernel with the extension loaded, shared by one test module, in a scratch folder."""
    cwd = tmp_path_factory.mktemp("kernel")
    with Kernel(env=offline_env(), cwd=str(cwd)) as k:
        result = k.execute("%load_ext amplifier_jupyter")
        assert result.ok, result.error
        yield k
