"""Password hashing with argon2id (argon2-cffi). Passwords are never stored or logged in clear."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bastion.identity.errors import InvalidIdentityInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("bastion-dummy-password-for-equal-timing")


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidIdentityInput(
            f"the password is too short ({len(password)} characters)",
            code="weak_password",
            hint=f"use at least {MIN_PASSWORD_LENGTH} characters; a passphrase of several words works well",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidIdentityInput(
            f"the password is too long ({len(password)} characters)",
            code="invalid_password",
            hint=f"use at most {MAX_PASSWORD_LENGTH} characters",
        )


def hash_password(password: str) -> str:
    check_password_policy(password)
    hashed: str = _hasher.hash(password)
    return hashed


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash is checked against a dummy to keep timing equal."""
    try:
        return bool(_hasher.verify(password_hash or _DUMMY_HASH, password)) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return bool(_hasher.check_needs_rehash(password_hash))
