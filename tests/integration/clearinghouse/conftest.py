"""Fixtures of the clearinghouse integration tests (helpers live in ``support.py``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bastion.container import Container
from bastion.runtime import Runtime
from tests.integration.clearinghouse.support import Cast, build_cast, run_bandit


@pytest.fixture(scope="module")
def bandit_sarif(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return run_bandit(tmp_path_factory.mktemp("scanned"))


@pytest.fixture
def cast(runtime: Runtime) -> Cast:
    return build_cast(runtime)


@pytest.fixture
def acme_vendor(client: TestClient, cast: Cast) -> str:
    """Acme Parsers in the registry, owning pkg:pypi/recparse."""
    body = {"org_id": cast.orgs["acme"], "products": [{"purl": "pkg:pypi/recparse"}]}
    return str(ok(client.post("/api/clearinghouse/vendors", json=body, headers=cast.headers("analyst")), 201)["id"])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def run_jobs(container: Container) -> list[str]:
    """Run the clearinghouse's queued jobs here (the in-process worker); their final statuses."""
    return [job.status.value for job in container.clearinghouse.worker().run_until_idle()]
