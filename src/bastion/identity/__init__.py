"""Organisations, users, API tokens, web sessions and the audit log's readers: the slice's public face for
the shells and the composition root."""

from bastion.identity.audit_log import MAX_PAGE, AuditEntriesPublic, AuditLogService
from bastion.identity.credentials import SESSION_TTL
from bastion.identity.errors import IdentityError, InvalidCredentials
from bastion.identity.schemas import (
    IssuedSession,
    IssuedToken,
    LoginRequest,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationsPublic,
    TokenCreate,
    TokensPublic,
    UserCreate,
    UserPublic,
    UsersPublic,
    UserUpdate,
)
from bastion.identity.service import IdentityService

__all__ = [
    "MAX_PAGE",
    "SESSION_TTL",
    "AuditEntriesPublic",
    "AuditLogService",
    "IdentityError",
    "IdentityService",
    "InvalidCredentials",
    "IssuedSession",
    "IssuedToken",
    "LoginRequest",
    "OrganisationCreate",
    "OrganisationPublic",
    "OrganisationsPublic",
    "TokenCreate",
    "TokensPublic",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "UsersPublic",
]
