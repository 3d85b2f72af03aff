"""Inspect AI entry point (``[project.entry-points.inspect_ai] bastion``): importing a module here
registers what it defines (sandbox providers, tasks) with Inspect. ``TASKS`` names the registered task
functions, so the runner creates a task without Inspect's private resolver."""

from collections.abc import Callable
from typing import Any

from bastion.evals.sandbox import BastionSandboxEnvironment  # noqa: F401 - registers sandbox "bastion"
from bastion.evals.tasks import exploitation, prompt_injection, safeguards, vuln_identification

TASKS: dict[str, Callable[..., Any]] = {
    "vuln_identification": vuln_identification.vuln_identification,
    "vuln_pairs": vuln_identification.vuln_pairs,
    "exploitation": exploitation.exploitation,
    "exploitation_advanced": exploitation.exploitation_advanced,
    "safeguards": safeguards.safeguards,
    "prompt_injection": prompt_injection.prompt_injection,
}
