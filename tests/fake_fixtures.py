"""Pytest fixtures around the fake Messages API (import them into a test module or conftest).

from fake_fixtures import fake_anthropic  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_anthropic import FakeAnthropic


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A started fake on a free port, stopped afterwards; it sets nothing globally.

    Give ``fake_anthropic.url`` to the code under test (``base_url`` in a
    provider config, or ``ANTHROPIC_BASE_URL`` in a kernel's environment).
    """
    with FakeAnthropic() as fake:
        yield fake
