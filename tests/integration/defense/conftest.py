"""Fixtures shared by the defense integration tests (defined in ``fixtures.py``)."""

from tests.integration.defense.fixtures import agencies, loaded  # noqa: F401 - registered as fixtures
