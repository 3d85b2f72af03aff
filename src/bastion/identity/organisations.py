"""Organisations: frontier labs, agencies, trusted partners and the programme office."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bastion.core import audit
from bastion.core.access import Action, Resource, ResourceKind, visible
from bastion.core.principal import OrgID, OrgKind, Principal
from bastion.identity import rules
from bastion.identity._base import ServiceBase, organisation_public, require
from bastion.identity.credentials import new_id
from bastion.identity.errors import OrganisationExists, OrganisationNotFound
from bastion.identity.models import Organisation
from bastion.identity.schemas import OrganisationPublic

ORGANISATION = Resource(kind=ResourceKind.ORGANISATION)


def organisation_resource(org_id: OrgID) -> Resource:
    return Resource(kind=ResourceKind.ORGANISATION, owner_org_id=OrgID(org_id))


class OrganisationService(ServiceBase):
    def create_organisation(self, actor: Principal | None, *, name: str, kind: OrgKind) -> OrganisationPublic:
        """Programme administrators only. ``actor`` None is for seeding and tests (the unchecked twin)."""
        if actor is not None:
            refusal = "only programme administrators create organisations"
            with self._refusals_audited(actor, "organisation.create", "organisation", None):
                require(actor, Action.CREATE, ORGANISATION, what="organisation", refusal=refusal)
        clean = rules.clean_name(name, what="organisation name")
        exists = OrganisationExists(f"an organisation named {clean!r} already exists")
        org = Organisation(id=new_id("org"), name=clean, kind=OrgKind(kind), created_at=self._clock.now())
        try:
            with self._write() as session:
                if session.scalar(sa.select(Organisation.id).where(Organisation.name == clean)):
                    raise exists
                session.add(org)
                session.flush()
                audit.record(
                    session,
                    at=org.created_at,
                    actor=actor,
                    action="organisation.create",
                    resource_type="organisation",
                    resource_id=org.id,
                    detail={"name": clean, "kind": org.kind},
                )
        except IntegrityError as e:  # a concurrent create of the same name
            raise exists from e
        return organisation_public(org)

    def create_organisation_unchecked(self, *, name: str, kind: OrgKind) -> OrganisationPublic:
        """For the seed/demo command and tests: no actor, no policy check (still validated and audited)."""
        return self.create_organisation(None, name=name, kind=kind)

    def get_organisation(self, org_id: OrgID) -> OrganisationPublic:
        """Internal lookup for other services (no policy check)."""
        with self._db.read_session() as session:
            org = session.get(Organisation, org_id)
            if org is None:
                raise OrganisationNotFound(f"organisation {org_id} not found")
            return organisation_public(org)

    def list_organisations(self, actor: Principal) -> list[OrganisationPublic]:
        """The organisations the actor may know of (the policy: staff see all, others their own)."""
        with self._db.read_session() as session:
            orgs = session.scalars(sa.select(Organisation).order_by(Organisation.name))
            return [organisation_public(o) for o in orgs if visible(actor, organisation_resource(o.id))]
