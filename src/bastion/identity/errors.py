"""Errors raised by the identity slice: one base, each concrete error also a kind from ``core.errors``."""

# ruff: noqa: N818 - errors are named for what happened (UserExists), as core.errors does

from __future__ import annotations

from bastion.core.errors import (
    BastionError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)


class IdentityError(BastionError):
    """Base of every identity error."""


class InvalidIdentityInput(IdentityError, InvalidInput):
    """A name, email, role, clearance or password that cannot be accepted as given."""

    default_code = "invalid_identity_input"


class UnknownOrganisation(IdentityError, InvalidInput):
    default_code = "unknown_organisation"


class OrganisationNotFound(IdentityError, NotFound):
    default_code = "not_found"


class OrganisationExists(IdentityError, Conflict):
    default_code = "organisation_exists"


class UserExists(IdentityError, Conflict):
    default_code = "user_exists"


class LastAdministrator(IdentityError, Conflict):
    default_code = "last_administrator"


class AlreadyBootstrapped(IdentityError, Conflict):
    default_code = "already_bootstrapped"


class InactiveUser(IdentityError, Conflict):
    default_code = "inactive_user"


class NotAllowed(IdentityError, Forbidden):
    default_code = "forbidden"


class InvalidCredentials(IdentityError, Unauthenticated):
    """Missing, unknown, expired or revoked credentials; the message never says which account exists."""

    default_code = "unauthenticated"


class LoginThrottled(IdentityError, TooManyRequests):
    """Too many failed sign-ins for one email address; ``details["retry_after_seconds"]``."""

    default_code = "too_many_login_attempts"
