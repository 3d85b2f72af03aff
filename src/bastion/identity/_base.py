"""What the identity services share: storage, clock, row-to-record mapping and the policy gate."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core.access import Action, Resource, ResourceKind, authorize, decide, not_found
from bastion.core.clock import Clock
from bastion.core.principal import Classification, OrgID, Principal, Role, UserID
from bastion.core.work import UnitOfWork
from bastion.db import Database
from bastion.identity.credentials import DEFAULT_TOKEN_TTL
from bastion.identity.errors import NotAllowed
from bastion.identity.models import Organisation, User
from bastion.identity.schemas import OrganisationPublic, UserPublic
from bastion.identity.throttle import DEFAULT_LOGIN_THROTTLE, LoginThrottle


class ServiceBase:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        uow: UnitOfWork,
        default_token_ttl: timedelta = DEFAULT_TOKEN_TTL,
        login_throttle: LoginThrottle = DEFAULT_LOGIN_THROTTLE,
    ) -> None:
        self._db = database
        self._clock = clock
        self._uow = uow
        self._default_token_ttl = default_token_ttl
        self._login_throttle = login_throttle

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A write transaction that seals its audit events into the chain before it commits, as every unit of
        work does (``bastion.core.work``): a committed identity change always has a sealed event."""
        with self._db.session() as session:
            yield session
            session.flush()
            self._uow.chain.seal(session)

    @contextmanager
    def _refusals_audited(
        self, actor: Principal | None, action: str, resource_type: str, resource_id: str | None
    ) -> Iterator[None]:
        """A refused administration attempt is recorded by the unit of work (``bastion.core.work``), in a
        transaction of its own, with its outcome and code."""
        with self._uow(actor, action, resource_type, resource_id):
            yield


def user_resource(user_id: UserID) -> Resource:
    return Resource(kind=ResourceKind.USER, subject_user_id=UserID(user_id))


def token_resource(user_id: UserID) -> Resource:
    return Resource(kind=ResourceKind.API_TOKEN, subject_user_id=UserID(user_id))


def require(actor: Principal, action: Action, resource: Resource, *, what: str, refusal: str | None = None) -> None:
    """Ask the access policy. With ``refusal`` (creating, or changing what the caller can already see)
    a denial is a 403 saying ``refusal``: nothing to conceal. Otherwise ``authorize`` (404 if concealed)."""
    if refusal is None:
        authorize(actor, action, resource, what=what)
        return
    decision = decide(actor, action, resource)
    if not decision.allowed:
        raise NotAllowed(refusal, details={"reason": decision.reason})


def load_user(session: Session, user_id: UserID) -> tuple[User, Organisation] | None:
    row = session.execute(
        sa.select(User, Organisation).join(Organisation, User.org_id == Organisation.id).where(User.id == user_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def load_visible_user(session: Session, actor: Principal, user_id: UserID) -> tuple[User, Organisation]:
    """The user, if it exists and the actor may know it; otherwise the one 'not found'."""
    found = load_user(session, user_id)
    if found is None:
        raise not_found(f"user {user_id}")
    authorize(actor, Action.READ, user_resource(user_id), what=f"user {user_id}")
    return found


def user_public(user: User, org: Organisation) -> UserPublic:
    return UserPublic(
        id=user.id,
        org_id=org.id,
        org_name=org.name,
        org_kind=org.kind,
        email=user.email,
        display_name=user.display_name,
        roles=sorted(Role(r) for r in user.roles),
        clearance=Classification(user.clearance),
        active=user.active,
    )


def organisation_public(org: Organisation) -> OrganisationPublic:
    return OrganisationPublic(id=org.id, name=org.name, kind=org.kind)


def principal_of(user: User, org: Organisation) -> Principal:
    return Principal(
        user_id=UserID(user.id),
        org_id=OrgID(org.id),
        org_kind=org.kind,
        roles=frozenset(Role(r) for r in user.roles),
        clearance=Classification(user.clearance),
    )
