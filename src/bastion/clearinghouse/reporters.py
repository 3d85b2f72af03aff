"""Reporters: a person files with its own token under default limits; an AI tool is registered by analysts,
named and versioned, with its own token and its own limits. Each has a record of validated and rejected
reports, shown to analysts beside every report it files."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import ConfigDict, Field

from bastion.clearinghouse._base import ClearinghouseContext
from bastion.clearinghouse.models import ReporterRow
from bastion.clearinghouse.public import ReporterRecord
from bastion.clearinghouse.render import reporter_record
from bastion.core.access import Action, Resource, ResourceKind, not_found
from bastion.core.fields import RequestBody
from bastion.core.principal import Principal, Role, UserID


class ReporterRegistration(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    user_id: UserID = Field(description="The reporter's user (an AI tool has a user of its own, with its own token).")
    kind: str = Field(default="ai_tool", pattern="^(person|ai_tool)$")
    tool_name: str | None = Field(default=None, max_length=200)
    tool_version: str | None = Field(default=None, max_length=100)
    per_minute: int | None = Field(default=None, ge=1, le=10_000)
    per_day: int | None = Field(default=None, ge=1, le=1_000_000)


def reporter_resource(user_id: UserID) -> Resource:
    return Resource(ResourceKind.CH_REPORTER, subject_user_id=UserID(user_id))


class ReporterService:
    def __init__(self, ctx: ClearinghouseContext) -> None:
        self._ctx = ctx

    def register(self, actor: Principal, body: ReporterRegistration) -> ReporterRecord:
        """Create or update a reporter's profile (analysts): an AI tool's name, version and limits."""
        with self._ctx.uow(actor, "reporter.register", "ch_reporter", body.user_id) as work:
            work.require(
                Action.UPDATE,
                reporter_resource(body.user_id),
                what=f"reporter {body.user_id}",
                refusal="analysts register reporters",
            )
            if body.kind == "ai_tool" and not (body.tool_name and body.tool_version):
                from bastion.clearinghouse.errors import invalid

                raise invalid("an AI tool is registered with its name and version", field="tool_name")
            principal = self._ctx.directory.get_principal(UserID(body.user_id))
            if not principal.has_role(Role.REPORTER):
                from bastion.clearinghouse.errors import invalid

                raise invalid(f"user {body.user_id} does not have the reporter role", hint="give it the role first")
            limits = self._ctx.limits
            ai = body.kind == "ai_tool"
            row = work.session.get(ReporterRow, body.user_id)
            if row is None:
                row = ReporterRow(user_id=body.user_id, created_at=work.now)
                work.session.add(row)
            row.kind = body.kind
            row.tool_name, row.tool_version = body.tool_name, body.tool_version
            row.per_minute = body.per_minute or (limits.ai_per_minute if ai else limits.per_minute)
            row.per_day = body.per_day or (limits.ai_per_day if ai else limits.per_day)
            row.updated_at = work.now
            work.session.flush()
            work.record(
                kind=row.kind,
                tool=row.tool_name,
                version=row.tool_version,
                per_minute=row.per_minute,
                per_day=row.per_day,
            )
            return reporter_record(work.session, row)

    def record(self, actor: Principal, user_id: UserID) -> ReporterRecord:
        with self._ctx.uow(actor, "reporter.read", "ch_reporter", user_id) as work:
            work.require(Action.READ, reporter_resource(user_id), what=f"reporter {user_id}")
            row = work.session.get(ReporterRow, user_id)
            if row is None:
                raise not_found(f"reporter {user_id}")
            work.record()
            return reporter_record(work.session, row)

    def all(self, actor: Principal) -> list[ReporterRecord]:
        with self._ctx.uow(actor, "reporter.list", "ch_reporter", None) as work:
            rows = work.session.scalars(sa.select(ReporterRow).order_by(ReporterRow.created_at)).all()
            shown = [
                reporter_record(work.session, r)
                for r in rows
                if work.allowed(Action.READ, reporter_resource(r.user_id))
            ]
            work.record(count=len(shown))
            return shown
