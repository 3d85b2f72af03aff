"""Who runs a command: the principal behind ``BASTION_TOKEN`` (an API token or a session token)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from bastion.cli import context

if TYPE_CHECKING:  # the identity slice loads with the first command that authenticates (not with `defend scan`)
    from bastion.core.principal import Principal
    from bastion.identity import IdentityService

TOKEN_ENV = "BASTION_TOKEN"  # noqa: S105 - the name of an environment variable


def identity_service() -> IdentityService:
    return context.container().identity


def current_principal() -> Principal:
    from bastion.identity import InvalidCredentials

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise InvalidCredentials(
            f"this command needs credentials in {TOKEN_ENV}",
            hint=f"sign in with `bastion login --email EMAIL` and export {TOKEN_ENV}=<the token it prints>; on a new "
            "installation, `bastion users bootstrap-admin --email EMAIL --name NAME` creates the first "
            "administrator and prints a token (or `bastion demo` seeds demo users, each with a token)",
        )
    return identity_service().authenticate_token(token)
