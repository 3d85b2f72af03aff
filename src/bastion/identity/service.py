"""``IdentityService``: the one entry point of the identity slice for shells and other slices.

Organisations, users, API tokens, web sessions and the bootstrap of the first administrator. Each use
case runs in one transaction with its audit event; every access decision comes from ``core.access``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from bastion.core.principal import Classification, OrgID, Principal, Role, UserID
from bastion.db.locks import lock_name
from bastion.identity._base import load_user, principal_of, user_public
from bastion.identity.errors import AlreadyBootstrapped, UserExists
from bastion.identity.models import User
from bastion.identity.organisations import OrganisationService
from bastion.identity.schemas import IssuedToken, UserPublic
from bastion.identity.signin import SignInService, insert_token
from bastion.identity.users import NewUser, UserService, insert_user

PROGRAMME_OFFICE_ID = OrgID("org_programme_office")  # seeded by migration 0002_identity
BOOTSTRAP_LOCK = "identity:bootstrap"

__all__ = ["PROGRAMME_OFFICE_ID", "IdentityService"]


class IdentityService(OrganisationService, UserService, SignInService):
    def get_principal(self, user_id: UserID) -> Principal:
        """Internal lookup for other services (no policy check). Raises ``NotFound`` for unknown ids."""
        from bastion.core.access import not_found

        with self._db.read_session() as session:
            found = load_user(session, user_id)
            if found is None:
                raise not_found(f"user {user_id}")
            return principal_of(*found)

    def issue_token_unchecked(self, *, user_id: UserID, name: str, ttl: timedelta | None = None) -> IssuedToken:
        """For the seed/demo command and tests: a token for any active user, no policy check (audited)."""
        with self._write() as session:
            return insert_token(
                session,
                at=self._clock.now(),
                actor=None,
                user_id=user_id,
                name=name,
                ttl=self._default_token_ttl if ttl is None else ttl,
            )

    def bootstrap_admin(
        self,
        *,
        email: str,
        display_name: str,
        password: str | None = None,
        org_id: OrgID = PROGRAMME_OFFICE_ID,
    ) -> tuple[UserPublic, IssuedToken]:
        """The first user: a programme administrator cleared TOP SECRET, with an API token (shown once).
        Refused once any user exists. User and token are written in one transaction."""
        new = NewUser.of(
            email=email,
            display_name=display_name,
            roles=[Role.PROGRAMME_ADMIN],
            clearance=Classification.TOP_SECRET,
            password=password,
        )
        now = self._clock.now()
        try:
            with self._write() as session:
                # Concurrent bootstraps queue here, so the second counts the first's user and is refused.
                lock_name(session, BOOTSTRAP_LOCK)
                user, org = insert_user(session, at=now, actor=None, org_id=org_id, new=new)
                if session.query(User).count() > 1:
                    raise AlreadyBootstrapped(
                        "Bastion already has users; bootstrap is only for the very first administrator",
                        hint="ask a programme administrator to create your account",
                    )
                admin = principal_of(user, org)
                token = insert_token(
                    session,
                    at=now,
                    actor=admin,
                    user_id=user.id,
                    name="bootstrap",
                    ttl=self._default_token_ttl,
                )
                return user_public(user, org), token
        except IntegrityError as e:
            raise UserExists(f"a user with email {new.email} already exists") from e
