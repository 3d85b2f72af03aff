"""Inspect's own portable sandbox conformance checks, run against the ``bastion`` provider.

Every check must pass except those in ``KNOWN_FAILURES`` (strict xfail: a known failure that starts
passing fails the run, so this list cannot go stale). The README carries the same list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from inspect_ai.util import SandboxEnvironment
from inspect_ai.util._sandbox.self_check import *  # noqa: F403 - pulls in Inspect's checks

from bastion.evals.sandbox import BastionSandboxConfig, BastionSandboxEnvironment

pytestmark = pytest.mark.anyio

KNOWN_FAILURES = {
    "test_exec_as_user": (
        "needs user='root' to run adduser; the bastion sandbox runs every command as its own "
        "unprivileged uid and refuses other users (SandboxUserUnsupportedError) by design"
    ),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def sandbox_env(request: pytest.FixtureRequest) -> AsyncIterator[SandboxEnvironment]:
    reason = KNOWN_FAILURES.get(request.node.originalname)
    if reason:
        request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    config = BastionSandboxConfig()
    await BastionSandboxEnvironment.task_init("conformance", config)
    envs = await BastionSandboxEnvironment.sample_init("conformance", config, {})
    try:
        yield envs["default"]
    finally:
        await BastionSandboxEnvironment.sample_cleanup("conformance", config, envs, interrupted=False)


def test_known_failures_name_real_checks() -> None:
    import inspect_ai.util._sandbox.self_check as self_check

    assert set(KNOWN_FAILURES) <= set(self_check.__all__)
