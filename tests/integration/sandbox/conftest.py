"""Fixtures for the sandbox integration tests: real bubblewrap, real Inspect AI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bastion.sandbox import Limits, Sandbox, SandboxSpec


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = await Sandbox.start(SandboxSpec(limits=Limits(wall_seconds=20)))
    try:
        yield sb
    finally:
        await sb.close()
