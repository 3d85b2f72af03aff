"""Users: create, read, list and change, each through ``core.access``; every write is audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bastion.core import audit
from bastion.core.access import Action, Resource, ResourceKind, visible
from bastion.core.principal import Classification, OrgID, Principal, Role, UserID
from bastion.db.locks import lock_name
from bastion.identity import rules
from bastion.identity._base import ServiceBase, load_visible_user, require, user_public, user_resource
from bastion.identity.credentials import new_id
from bastion.identity.errors import LastAdministrator, NotAllowed, UnknownOrganisation, UserExists
from bastion.identity.models import Organisation, User
from bastion.identity.passwords import hash_password
from bastion.identity.schemas import UserPublic

NEW_USER = Resource(kind=ResourceKind.USER)
ADMINISTRATORS_LOCK = "identity:administrators"


@dataclass(frozen=True, slots=True)
class NewUser:
    """A validated request to create a user (validation happens in ``of``, before any database work)."""

    email: str
    display_name: str
    roles: tuple[Role, ...]
    clearance: Classification
    password_hash: str | None

    @classmethod
    def of(
        cls,
        *,
        email: str,
        display_name: str,
        roles: Iterable[Role],
        clearance: Classification,
        password: str | None,
    ) -> NewUser:
        return cls(
            email=rules.normalize_email(email),
            display_name=rules.clean_name(display_name, what="display name"),
            roles=tuple(roles),
            clearance=Classification(clearance),
            password_hash=hash_password(password) if password is not None else None,
        )


def insert_user(
    session: Session, *, at: datetime, actor: Principal | None, org_id: OrgID, new: NewUser
) -> tuple[User, Organisation]:
    """Insert and audit a user in the caller's transaction; refuse unknown orgs, misfit roles, duplicates."""
    user_id = new_id("usr")
    org = session.get(Organisation, org_id)
    if org is None:
        raise UnknownOrganisation(
            f"organisation {org_id} does not exist", hint="list organisations with `bastion orgs list`"
        )
    roles = rules.check_roles(new.roles, org.kind)
    if session.scalar(sa.select(User.id).where(User.email == new.email)):
        raise UserExists(f"a user with email {new.email} already exists")
    user = User(
        id=user_id,
        org_id=org.id,
        email=new.email,
        display_name=new.display_name,
        roles=sorted(r.value for r in roles),
        clearance=int(new.clearance),
        password_hash=new.password_hash,
        active=True,
        created_at=at,
    )
    session.add(user)
    session.flush()
    detail = {"email": new.email, "org_id": org.id, "roles": user.roles, "clearance": new.clearance.name}
    audit.record(
        session,
        at=at,
        actor=actor,
        action="user.create",
        resource_type="user",
        resource_id=user_id,
        detail=detail,
    )
    return user, org


class UserService(ServiceBase):
    def create_user(
        self,
        actor: Principal,
        *,
        org_id: OrgID,
        email: str,
        display_name: str,
        roles: Iterable[Role],
        clearance: Classification,
        password: str | None = None,
    ) -> UserPublic:
        with self._refusals_audited(actor, "user.create", "user", None):
            refusal = "only programme administrators create users"
            require(actor, Action.CREATE, NEW_USER, what="user", refusal=refusal)
            _check_grantable(actor, clearance)
        new = NewUser.of(email=email, display_name=display_name, roles=roles, clearance=clearance, password=password)
        return self._create(actor, org_id, new)

    def create_user_unchecked(
        self,
        *,
        org_id: OrgID,
        email: str,
        display_name: str,
        roles: Iterable[Role],
        clearance: Classification,
        password: str | None = None,
    ) -> UserPublic:
        """For the seed/demo command and tests: no actor, no policy check (still validated and audited)."""
        new = NewUser.of(email=email, display_name=display_name, roles=roles, clearance=clearance, password=password)
        return self._create(None, org_id, new)

    def _create(self, actor: Principal | None, org_id: OrgID, new: NewUser) -> UserPublic:
        try:
            with self._write() as session:
                return user_public(*insert_user(session, at=self._clock.now(), actor=actor, org_id=org_id, new=new))
        except IntegrityError as e:  # a concurrent create with the same email
            raise UserExists(f"a user with email {new.email} already exists") from e

    def get_user(self, actor: Principal, user_id: UserID) -> UserPublic:
        with self._db.read_session() as session:
            return user_public(*load_visible_user(session, actor, user_id))

    def list_users(self, actor: Principal, *, org_id: OrgID | None = None) -> list[UserPublic]:
        with self._db.read_session() as session:
            query = sa.select(User, Organisation).join(Organisation, User.org_id == Organisation.id)
            if org_id is not None:
                query = query.where(User.org_id == org_id)
            rows = session.execute(query.order_by(User.email))
            return [user_public(u, o) for u, o in rows if visible(actor, user_resource(u.id))]

    def update_user(
        self,
        actor: Principal,
        user_id: UserID,
        *,
        display_name: str | None = None,
        roles: Iterable[Role] | None = None,
        clearance: Classification | None = None,
        active: bool | None = None,
    ) -> UserPublic:
        """Users may rename themselves; roles, clearance and deactivation are for programme administrators."""
        what = f"user {user_id}"
        with self._refusals_audited(actor, "user.update", "user", user_id), self._write() as session:
            if roles is not None or active is not None:
                # "Is another administrator left?" is read, then written: concurrent demotions queue here.
                lock_name(session, ADMINISTRATORS_LOCK)
            user, org = load_visible_user(session, actor, user_id)
            was_admin = _is_active_admin(user)
            before = {
                "display_name": user.display_name,
                "roles": list(user.roles),
                "clearance": Classification(user.clearance).name,
                "active": user.active,
            }
            changes: dict[str, Any] = {}
            if display_name is not None:
                refusal = "you may change only your own display name"
                require(actor, Action.UPDATE, user_resource(user_id), what=what, refusal=refusal)
                user.display_name = changes["display_name"] = rules.clean_name(display_name, what="display name")
            if roles is not None or clearance is not None or active is not None:
                refusal = "only programme administrators change roles, clearance or whether an account is active"
                require(actor, Action.DECIDE, user_resource(user_id), what=what, refusal=refusal)
            if roles is not None:
                user.roles = changes["roles"] = sorted(r.value for r in rules.check_roles(roles, org.kind))
            if clearance is not None:
                _check_grantable(actor, clearance)
                user.clearance = int(clearance)
                changes["clearance"] = Classification(clearance).name
            if active is not None:
                user.active = changes["active"] = active
            session.flush()
            if was_admin and not _is_active_admin(user):
                _keep_an_administrator(session)
            audit.record(
                session,
                at=self._clock.now(),
                actor=actor,
                action="user.update",
                resource_type="user",
                resource_id=user_id,
                detail={"changes": changes, "old": {name: before[name] for name in changes}},
            )
            return user_public(user, org)


def _check_grantable(actor: Principal, clearance: Classification) -> None:
    if not actor.cleared_for(Classification(clearance)):
        raise NotAllowed(
            f"you cannot grant clearance {Classification(clearance).name}: it is above your own",
            code="clearance_above_own",
        )


def _is_active_admin(user: User) -> bool:
    return user.active and Role.PROGRAMME_ADMIN.value in user.roles


def _keep_an_administrator(session: Session) -> None:
    active_roles = session.scalars(sa.select(User.roles).where(User.active.is_(True)))
    if not any(Role.PROGRAMME_ADMIN.value in roles for roles in active_roles):
        raise LastAdministrator(
            "this change would leave no active programme administrator",
            hint="make another user a programme administrator first",
        )
