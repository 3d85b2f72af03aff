"""Schemathesis over the whole API (``/api`` and ``/v1``), on SQLite and PostgreSQL: generated requests, valid
and invalid, as a programme administrator of the demo programme (so requests get past 401 to the real work),
and every answer checked against the OpenAPI document: no server error, only documented status codes, content
types, headers and response schemas, invalid data refused, unsupported methods answered 405 with ``Allow``.

Not checked: that every schema-valid request is accepted. Rules beyond a schema (a review's state, a record
that must exist, fields that exclude each other, an unknown ecosystem) refuse such requests with 400 or 409,
each documented.

The number of examples per operation and mode is bounded (``BASTION_SCHEMATHESIS_EXAMPLES``, default 6) so
that the run stays well under a minute in CI; raise it locally to search harder. Schemathesis is driven
through its Python API (a Hypothesis strategy per operation) rather than its pytest plugin, whose lazy
fixture loader does not run on pytest 9.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bastion.api.app import create_app
from bastion.container import Container
from bastion.review.demo import seed_demo
from bastion.runtime import Runtime

EXAMPLES = int(os.environ.get("BASTION_SCHEMATHESIS_EXAMPLES", "6"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _failure(operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, headers: dict[str, str]) -> str:
    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    try:
        check()
    except Unsatisfiable:  # no invalid request can be built for this operation (any JSON body is accepted)
        assert mode is schemathesis.GenerationMode.NEGATIVE
    except (Exception, BaseExceptionGroup) as e:  # noqa: BLE001 - every failure of every operation is reported
        return f"{operation.label} ({mode.value}): {e}"
    return ""


def test_the_api_answers_as_documented(runtime: Runtime) -> None:
    container = Container(runtime)
    token = seed_demo(container).tokens["programme-admin"]
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40  # the whole API, /api and /v1
    headers = {"Authorization": f"Bearer {token}"}
    failures = [
        failure
        for operation in operations
        for mode in schemathesis.GenerationMode
        if (failure := _failure(operation, mode, headers))
    ]
    if failures:
        pytest.fail(f"{len(failures)} operations answered other than documented:\n\n" + "\n\n".join(failures))
