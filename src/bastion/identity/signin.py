"""Credentials: API tokens for programs, web sessions for people, and turning either into a Principal."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bastion.core import audit
from bastion.core.access import Action, not_found, visible
from bastion.core.ids import TokenID
from bastion.core.principal import Principal, UserID
from bastion.db.locks import lock_name
from bastion.identity import rules
from bastion.identity._base import (
    ServiceBase,
    load_user,
    load_visible_user,
    principal_of,
    require,
    token_resource,
)
from bastion.identity.credentials import (
    MAX_TOKEN_TTL,
    SESSION_TTL,
    CredentialKind,
    digest,
    display_prefix,
    kind_of,
    matches,
    new_id,
    new_secret,
)
from bastion.identity.errors import (
    InactiveUser,
    InvalidCredentials,
    InvalidIdentityInput,
    LoginThrottled,
    NotAllowed,
)
from bastion.identity.models import ApiToken, LoginFailure, User, WebSession
from bastion.identity.passwords import hash_password, needs_rehash, verify_password
from bastion.identity.schemas import IssuedSession, IssuedToken, TokenPublic, TokenStatus

_CREDENTIALS_HINT = "create a token with `bastion tokens create`, or sign in again"
LOGIN_FAILED = "wrong email or password"


class SignInService(ServiceBase):
    # API tokens --------------------------------------------------------------------------------------
    def issue_token(self, actor: Principal, *, user_id: UserID, name: str, ttl: timedelta | None = None) -> IssuedToken:
        """A new token for ``user_id`` (yourself, or anyone for administrators). The secret is in the
        result only; the database keeps its SHA-256 digest. Refused to a web session: a months-long token
        minted by a browser session would outlive the session's hours and its sign-out."""
        with self._refusals_audited(actor, "token.create", "user", user_id), self._write() as session:
            if actor.via_session:
                raise NotAllowed(
                    "a web session cannot create API tokens: a token would outlive the session and its sign-out",
                    code="token_needs_token",
                    hint="create tokens with an API token (a programme administrator can issue your first one: "
                    "`bastion tokens create --user YOUR_USER_ID`)",
                )
            load_visible_user(session, actor, user_id)
            refusal = "only programme administrators issue tokens for other users"
            require(actor, Action.CREATE, token_resource(user_id), what=f"user {user_id}", refusal=refusal)
            return insert_token(
                session,
                at=self._clock.now(),
                actor=actor,
                user_id=user_id,
                name=name,
                ttl=self._default_token_ttl if ttl is None else ttl,
            )

    def revoke_token(self, actor: Principal, token_id: TokenID) -> None:
        """Revoke a token (idempotent: revoking a revoked token changes nothing)."""
        what = f"token {token_id}"
        with self._refusals_audited(actor, "token.revoke", "api_token", token_id), self._write() as session:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise not_found(what)
            require(actor, Action.DELETE, token_resource(token.user_id), what=what)
            if token.revoked_at is not None:
                return
            token.revoked_at = self._clock.now()
            audit.record(
                session,
                at=token.revoked_at,
                actor=actor,
                action="token.revoke",
                resource_type="api_token",
                resource_id=token_id,
                detail={"user_id": token.user_id},
            )

    def list_tokens(self, actor: Principal, *, user_id: UserID | None = None) -> list[TokenPublic]:
        now = self._clock.now()
        with self._db.read_session() as session:
            query = sa.select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)
            if user_id is not None:
                query = query.where(ApiToken.user_id == user_id)
            tokens = session.scalars(query)
            return [token_public(t, now) for t in tokens if visible(actor, token_resource(t.user_id))]

    # Signing in --------------------------------------------------------------------------------------
    def authenticate_token(self, token: str) -> Principal:
        """The principal behind an API token or a session token; ``InvalidCredentials`` (401) otherwise."""
        kind = kind_of(token)
        if kind is None:
            raise InvalidCredentials("the credentials are not a Bastion token", hint=_CREDENTIALS_HINT)
        now = self._clock.now()
        with self._db.session() as session:  # records no event (a request's own unit audits it): nothing to seal
            row: ApiToken | WebSession | None
            if kind is CredentialKind.API_TOKEN:
                row = session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == digest(token))).one_or_none()
            else:
                row = session.scalars(sa.select(WebSession).where(WebSession.token_hash == digest(token))).one_or_none()
            if row is None or not matches(token, row.token_hash):
                raise InvalidCredentials("the token is not valid", hint=_CREDENTIALS_HINT)
            if row.revoked_at is not None:
                raise InvalidCredentials("the token was revoked", hint=_CREDENTIALS_HINT)
            if row.expires_at <= now:
                raise InvalidCredentials(f"the token expired at {row.expires_at.isoformat()}", hint=_CREDENTIALS_HINT)
            found = load_user(session, row.user_id)
            if found is None or not found[0].active:
                raise InvalidCredentials("the account behind this token is deactivated")
            if isinstance(row, ApiToken):
                row.last_used_at = now
            return replace(principal_of(*found), via_session=isinstance(row, WebSession))

    def login(self, email: str, password: str) -> IssuedSession:
        """A web session for the right email and password. Every failure gives the same answer, so the
        answer does not tell whether an account exists; every attempt is audited (without the password).
        After too many failures for one address the throttle refuses further attempts for a while (429),
        without checking the password, for known and unknown addresses alike."""
        try:
            address = rules.normalize_email(email)
        except InvalidIdentityInput:
            address = None
        # The throttle and audit key: the address, or what was typed, made storable (no NUL) on both databases
        key = (address or email.strip().lower()).replace("\x00", "\\0")[:320]
        now = self._clock.now()
        with self._write() as session:
            # Concurrent attempts for one address queue here until each has counted, checked and recorded
            # its failure: the throttle's limit holds however many arrive at once.
            lock_name(session, f"login:{key}")
            wait = self._throttled(session, key, now)
            user = session.scalars(sa.select(User).where(User.email == address)).one_or_none() if address else None
            ok = (
                wait is None
                and verify_password(user.password_hash if user else None, password)
                and user is not None
                and user.active
            )
            audit.record(
                session,
                at=now,
                actor=None,
                action="auth.login",
                resource_type="user",
                resource_id=user.id if user else None,
                outcome="ok" if ok else "denied",
                detail={"email": key, **({"throttled": True} if wait is not None else {})},
            )
            if ok and user is not None:
                session.execute(sa.delete(LoginFailure).where(LoginFailure.email == key))
                if user.password_hash and needs_rehash(user.password_hash):
                    user.password_hash = hash_password(password)
                return insert_session(session, at=now, user_id=user.id)
            if wait is None:
                session.add(LoginFailure(id=new_id("lgf"), email=key, at=now))
        if wait is not None:
            seconds = max(1, math.ceil(wait.total_seconds()))
            raise LoginThrottled(
                f"too many failed sign-ins for this email address; try again in {_minutes(seconds)}",
                hint="wait, or ask an administrator to check the account",
                details={"retry_after_seconds": seconds},
            )
        raise InvalidCredentials(LOGIN_FAILED, code="login_failed", hint="check both, or ask an administrator")

    def _throttled(self, session: Session, key: str, now: datetime) -> timedelta | None:
        """Forget failures that no longer count, then ask the throttle about the ones that do."""
        since = self._login_throttle.counts_since(now)
        session.execute(sa.delete(LoginFailure).where(LoginFailure.email == key, LoginFailure.at <= since))
        failures = session.scalars(sa.select(LoginFailure.at).where(LoginFailure.email == key))
        return self._login_throttle.retry_after(failures, now)

    def logout(self, session_token: str) -> None:
        """End a web session (the token a login returned)."""
        if kind_of(session_token) is not CredentialKind.SESSION:
            raise InvalidIdentityInput(
                "only web sessions can be logged out", hint="revoke API tokens with `bastion tokens revoke`"
            )
        with self._write() as session:
            row = session.scalars(
                sa.select(WebSession).where(WebSession.token_hash == digest(session_token))
            ).one_or_none()
            if row is None or row.revoked_at is not None:
                return
            row.revoked_at = self._clock.now()
            audit.record(
                session,
                at=row.revoked_at,
                actor=None,
                action="auth.logout",
                resource_type="user",
                resource_id=row.user_id,
            )


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def insert_token(
    session: Session, *, at: datetime, actor: Principal | None, user_id: UserID, name: str, ttl: timedelta
) -> IssuedToken:
    clean = rules.clean_name(name, what="token name", limit=100)
    if ttl <= timedelta(0) or ttl > MAX_TOKEN_TTL:
        raise InvalidIdentityInput(
            f"a token must expire within 1 to {MAX_TOKEN_TTL.days} days", code="invalid_token_lifetime"
        )
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InactiveUser(f"user {user_id} is deactivated; it cannot get tokens")
    secret = new_secret(CredentialKind.API_TOKEN)
    token = ApiToken(
        id=new_id("tok"),
        user_id=user_id,
        name=clean,
        token_hash=digest(secret),
        prefix=display_prefix(secret),
        created_at=at,
        expires_at=at + ttl,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        at=at,
        actor=actor,
        action="token.create",
        resource_type="api_token",
        resource_id=token.id,
        detail={"user_id": user_id, "name": clean, "expires_at": token.expires_at},
    )
    return IssuedToken(
        id=token.id,
        user_id=user_id,
        name=clean,
        prefix=token.prefix,
        expires_at=token.expires_at,
        token=secret,
    )


def insert_session(session: Session, *, at: datetime, user_id: UserID) -> IssuedSession:
    secret = new_secret(CredentialKind.SESSION)
    row = WebSession(
        id=new_id("ses"),
        user_id=user_id,
        token_hash=digest(secret),
        created_at=at,
        expires_at=at + SESSION_TTL,
    )
    session.add(row)
    session.flush()
    return IssuedSession(id=row.id, user_id=user_id, expires_at=row.expires_at, token=secret)


def token_public(token: ApiToken, now: datetime) -> TokenPublic:
    status = TokenStatus.ACTIVE
    if token.revoked_at is not None:
        status = TokenStatus.REVOKED
    elif token.expires_at <= now:
        status = TokenStatus.EXPIRED
    return TokenPublic(
        id=token.id,
        user_id=token.user_id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
        status=status,
    )
