"""Imports every slice's tables so that ``Base.metadata`` is complete (for Alembic and for tests)."""

from __future__ import annotations

import importlib

from bastion.db.base import Base

# Slices that own tables. A slice missing from this list has no tables yet.
TABLE_MODULES = (
    "bastion.advisories.models",
    "bastion.identity.models",
    "bastion.core.audit_models",
    "bastion.review.models",
    "bastion.jobs.models",
    "bastion.evals.models",
)

for _module in TABLE_MODULES:
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as e:  # a slice that has not landed yet
        if e.name != _module:
            raise

metadata = Base.metadata
