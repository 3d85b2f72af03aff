"""Inspect AI sandbox provider ``bastion`` (bubblewrap), built on :mod:`bastion.sandbox`."""

from bastion.evals.sandbox._config import BastionSandboxConfig, ServiceConfig
from bastion.evals.sandbox._provider import BastionSandboxEnvironment

__all__ = ["BastionSandboxConfig", "BastionSandboxEnvironment", "ServiceConfig"]
