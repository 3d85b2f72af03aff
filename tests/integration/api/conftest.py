"""Fixtures of the API edge tests."""

from __future__ import annotations

import pytest

from bastion.runtime import Runtime
from tests.integration.review.support import Cast, build_cast


@pytest.fixture
def cast(runtime: Runtime) -> Cast:
    return build_cast(runtime)
