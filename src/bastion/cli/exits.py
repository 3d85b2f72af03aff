"""The exit codes of every ``bastion`` command (documented in the README)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1  # the command worked and found something: affected packages, a tampered log, failed imports
    USAGE = 2
    OPERATIONAL = 3
    INTERRUPTED = 130
