"""Inspect AI entry point (``[project.entry-points.inspect_ai] bastion``): importing a module here
registers what it defines (sandbox providers, tasks) with Inspect. Keep this a plain list of imports."""

from bastion.evals.sandbox import BastionSandboxEnvironment  # noqa: F401 - registers sandbox "bastion"
from bastion.evals.tasks import (  # noqa: F401 - registers tasks
    exploitation,
    prompt_injection,
    safeguards,
    vuln_identification,
)
