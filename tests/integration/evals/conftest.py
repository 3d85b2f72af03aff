"""Fixtures shared by the battery's integration tests: the review cast and its CLI driver
(``tests/integration/evals/test_review_run.py``)."""

from tests.integration.evals.test_review_run import cast, cli

__all__ = ["cast", "cli"]
