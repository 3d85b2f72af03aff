"""Records the identity slice hands out and accepts (service results and API bodies alike)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from bastion.core.fields import Omittable, RequestBody
from bastion.core.ids import SessionID, TokenID
from bastion.core.principal import Classification, OrgID, OrgKind, Role, UserID


def _parse_clearance(value: object) -> Classification:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("a clearance is a name such as SECRET or a level from 0 to 4")
    return Classification.parse(value)


Clearance = Annotated[
    Classification,
    BeforeValidator(_parse_clearance),
    PlainSerializer(lambda c: c.name, return_type=str),
    WithJsonSchema({"type": "string", "enum": [c.name for c in Classification]}),
]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Body(RequestBody):
    pass


class OrganisationCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind


class OrganisationPublic(_Record):
    id: OrgID
    name: str
    kind: OrgKind


class OrganisationsPublic(_Record):
    data: list[OrganisationPublic]
    count: int


class UserCreate(_Body):
    org_id: OrgID
    email: str = Field(max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    clearance: Clearance = Classification.UNCLASSIFIED
    password: str | None = Field(default=None, repr=False, description="Optional: for signing in on the web.")


class UserUpdate(_Body):
    """Leave a field out to keep its value; ``null`` is not a value here."""

    display_name: Omittable[Annotated[str, Field(min_length=1, max_length=200)]] = None
    roles: Omittable[Annotated[list[Role], Field(min_length=1)]] = None
    clearance: Omittable[Clearance] = None
    active: Omittable[bool] = None


class UserPublic(_Record):
    id: UserID
    org_id: OrgID
    org_name: str
    org_kind: OrgKind
    email: str
    display_name: str
    roles: list[Role]
    clearance: Clearance
    active: bool


class UsersPublic(_Record):
    data: list[UserPublic]
    count: int


class TokenStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class TokenCreate(_Body):
    name: str = Field(min_length=1, max_length=100)
    user_id: UserID | None = Field(default=None, description="Whose token; default: your own.")
    expires_in_days: int | None = Field(default=None, ge=1, le=366, description="Default: 90 days.")


class TokenPublic(_Record):
    id: TokenID
    user_id: UserID
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    status: TokenStatus


class TokensPublic(_Record):
    data: list[TokenPublic]
    count: int


class IssuedToken(_Record):
    """A new API token. ``token`` is the secret: shown this once, stored only as a hash."""

    id: TokenID
    user_id: UserID
    name: str
    prefix: str
    expires_at: datetime
    token: str = Field(repr=False)


class LoginRequest(BaseModel):
    """Not a ``_Body``: any text is a sign-in attempt, recorded and throttled like every other failed one
    (a NUL in the address included), rather than a 400 that neither the audit log nor the throttle sees."""

    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024, repr=False)


class IssuedSession(_Record):
    """A web session. ``token`` is the secret (also set as the ``bastion_session`` cookie)."""

    id: SessionID
    user_id: UserID
    expires_at: datetime
    token: str = Field(repr=False)
