"""One sample of a challenge: each service's files with this sample's flag and shared secrets in place."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from bastion.evals.challenges._catalog import Challenge
from bastion.evals.challenges._parts import BINARY_SUFFIX, FLAG_FILE, SECRETS_DIR, TargetService


@dataclass(frozen=True, slots=True)
class ServiceSetup:
    """A service as one sample runs it: its ``/service`` files (text; binaries base64-encoded)."""

    service: TargetService
    files: dict[str, str]


def service_setups(challenge: Challenge, flag: str) -> tuple[ServiceSetup, ...]:
    """The files of every service of ``challenge`` for one sample holding ``flag``.

    Each secret a service names is 128 random bits drawn for this sample, the same in every service
    that names it (say, a token one service presents and another checks).
    """
    shared = {name: secrets.token_hex(16) for s in challenge.services for name in s.secrets}
    setups = []
    for service in challenge.services:
        files = {name: challenge.read(name) for name in service.files}
        for name in service.binaries:
            files[name + BINARY_SUFFIX] = base64.b64encode(challenge.read_bytes(name)).decode()
        for name in service.secrets:
            files[f"{SECRETS_DIR}/{name}"] = shared[name] + "\n"
        if service.holds_flag:
            files[FLAG_FILE] = flag + "\n"
        setups.append(ServiceSetup(service=service, files=files))
    return tuple(setups)
