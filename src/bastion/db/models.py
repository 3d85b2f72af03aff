"""Every slice's tables in one ``MetaData``: what the migrations must produce (checked by a test).

Only Alembic's environment and that test import this module; slices never do (it would couple them).
"""

from __future__ import annotations

import bastion.advisories.models
import bastion.clearinghouse.models
import bastion.core.audit_models
import bastion.defense.alert_models
import bastion.defense.models
import bastion.evals.models
import bastion.identity.models
import bastion.jobs.models
import bastion.review.models  # noqa: F401 - imported for their tables
from bastion.db.base import Base

metadata = Base.metadata
