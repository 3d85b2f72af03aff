"""Secrets for programs (API tokens) and browsers (web sessions): random, shown once, stored hashed.

A secret is ``<kind prefix><43 url-safe characters>`` (256 bits of entropy). Only its SHA-256 digest is
stored; lookups go by digest and the digest is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from enum import StrEnum

API_TOKEN_PREFIX = "bst_"  # noqa: S105 - a public marker, not a secret
SESSION_PREFIX = "bss_"
DISPLAY_PREFIX_LENGTH = 12

DEFAULT_TOKEN_TTL = timedelta(days=90)
MAX_TOKEN_TTL = timedelta(days=366)
SESSION_TTL = timedelta(hours=12)


class CredentialKind(StrEnum):
    API_TOKEN = "api_token"  # noqa: S105 - a kind of credential, not a password
    SESSION = "session"


def new_secret(kind: CredentialKind) -> str:
    prefix = API_TOKEN_PREFIX if kind is CredentialKind.API_TOKEN else SESSION_PREFIX
    return prefix + secrets.token_urlsafe(32)


def kind_of(secret: str) -> CredentialKind | None:
    if secret.startswith(API_TOKEN_PREFIX):
        return CredentialKind.API_TOKEN
    if secret.startswith(SESSION_PREFIX):
        return CredentialKind.SESSION
    return None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def display_prefix(secret: str) -> str:
    """The first characters, enough to recognise a token in a list, far too few to use it."""
    return secret[:DISPLAY_PREFIX_LENGTH]


def new_id(prefix: str) -> str:
    """Opaque identifiers such as ``usr_3kq...``."""
    return f"{prefix}_{secrets.token_hex(8)}"
