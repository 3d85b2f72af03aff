"""The vendor registry: organisations of kind vendor and the package namespaces (purl) and CPE vendors/products
they own. A case finds its vendors here automatically; analysts keep the registry."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from bastion.clearinghouse._base import ClearinghouseContext, new_id
from bastion.clearinghouse.errors import StateConflict, invalid
from bastion.clearinghouse.models import VendorProductRow, VendorRow
from bastion.clearinghouse.products import ANY, RegistryEntry, parse_cpe, parse_purl
from bastion.clearinghouse.public import RegistryClaimPublic, VendorPublic, VendorsPublic
from bastion.core.access import Action, Resource, ResourceKind, not_found
from bastion.core.fields import RequestBody
from bastion.core.ids import VendorID
from bastion.core.principal import OrgID, OrgKind, Principal


class ClaimIn(RequestBody):
    """A purl namespace (``pkg:pypi/jinja2``, or ``pkg:npm/@acme/*`` for everything under a namespace) or a
    CPE vendor and product (``cpe:2.3:a:acme:*:...`` is not accepted: name products, or use ``cpe_product: *``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    purl: str | None = Field(default=None, max_length=500, examples=["pkg:pypi/jinja2", "pkg:npm/@acme/*"])
    cpe_vendor: str | None = Field(default=None, max_length=200)
    cpe_product: str | None = Field(default=None, max_length=200, description="A product, or * for all.")

    @model_validator(mode="after")
    def _one(self) -> ClaimIn:
        if bool(self.purl) == bool(self.cpe_vendor):
            raise ValueError("give either a purl or a cpe_vendor (with cpe_product)")
        if self.cpe_vendor and not self.cpe_product:
            raise ValueError("a CPE claim needs cpe_product (a product name, or * for all)")
        return self


class VendorCreate(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)
    org_id: OrgID = Field(description="An organisation of kind vendor.")
    products: list[ClaimIn] = Field(default_factory=list, max_length=500)


def vendor_resource(org_id: OrgID) -> Resource:
    return Resource(ResourceKind.CH_VENDOR, owner_org_id=OrgID(org_id))


def _claim_row(vendor_id: VendorID, claim: ClaimIn, at: object) -> VendorProductRow:
    if claim.purl:
        wildcard = claim.purl.rstrip().endswith("/*")
        purl = parse_purl(claim.purl.rstrip()[:-2] + "/placeholder" if wildcard else claim.purl)
        return VendorProductRow(
            id=new_id("vpr"),
            vendor_id=vendor_id,
            purl_type=purl.type,
            purl_namespace=purl.namespace,
            purl_name=ANY if wildcard else purl.name,
            created_at=at,
        )
    assert claim.cpe_vendor is not None and claim.cpe_product is not None
    product = claim.cpe_product.strip().lower()
    cpe = parse_cpe(
        f"cpe:2.3:a:{claim.cpe_vendor.strip().lower()}:{'x' if product == ANY else product}:*:*:*:*:*:*:*:*"
    )
    return VendorProductRow(
        id=new_id("vpr"), vendor_id=vendor_id, cpe_vendor=cpe.vendor, cpe_product=product, created_at=at
    )


def registry(session: Session) -> list[RegistryEntry]:
    rows = session.scalars(sa.select(VendorProductRow).order_by(VendorProductRow.created_at, VendorProductRow.id))
    return [
        RegistryEntry(r.vendor_id, r.purl_type, r.purl_namespace, r.purl_name, r.cpe_vendor, r.cpe_product)
        for r in rows
    ]


def vendor_public(session: Session, vendor: VendorRow) -> VendorPublic:
    claims = session.scalars(
        sa.select(VendorProductRow).where(VendorProductRow.vendor_id == vendor.id).order_by(VendorProductRow.created_at)
    ).all()
    return VendorPublic(
        id=vendor.id,
        org_id=vendor.org_id,
        name=vendor.name,
        products=[
            RegistryClaimPublic(
                id=c.id,
                purl_type=c.purl_type,
                purl_namespace=c.purl_namespace,
                purl_name=c.purl_name,
                cpe_vendor=c.cpe_vendor,
                cpe_product=c.cpe_product,
            )
            for c in claims
        ],
    )


class VendorService:
    def __init__(self, ctx: ClearinghouseContext, organisations: object) -> None:
        self._ctx = ctx
        self._orgs = organisations  # anything with get_organisation(org_id) -> .name, .kind

    def register(self, actor: Principal, body: VendorCreate) -> VendorPublic:
        with self._ctx.uow(actor, "vendor.register", "ch_vendor", None) as work:
            work.require(
                Action.CREATE, vendor_resource(body.org_id), what="vendor", refusal="analysts keep the vendor registry"
            )
            org = self._orgs.get_organisation(body.org_id)  # type: ignore[attr-defined]
            if org.kind is not OrgKind.VENDOR:
                raise invalid(
                    f"organisation {org.name} is a {org.kind}, not a vendor",
                    hint="create the vendor as an organisation of kind vendor first",
                    field="org_id",
                )
            if work.session.scalar(sa.select(VendorRow.id).where(VendorRow.org_id == body.org_id)):
                raise StateConflict(f"{org.name} is already in the vendor registry", code="vendor_exists")
            vendor = VendorRow(id=new_id("ven"), org_id=body.org_id, name=org.name, created_at=work.now)
            work.session.add(vendor)
            work.session.flush()
            for claim in body.products:
                work.session.add(_claim_row(vendor.id, claim, work.now))
            work.record(resource_id=vendor.id, org_id=body.org_id, claims=len(body.products))
            work.session.flush()
            return vendor_public(work.session, vendor)

    def add_product(self, actor: Principal, vendor_id: VendorID, claim: ClaimIn) -> VendorPublic:
        with self._ctx.uow(actor, "vendor.add_product", "ch_vendor", vendor_id) as work:
            vendor = work.session.get(VendorRow, vendor_id)
            if vendor is None:
                raise not_found(f"vendor {vendor_id}")
            work.require(Action.UPDATE, vendor_resource(vendor.org_id), what=f"vendor {vendor_id}")
            work.session.add(_claim_row(vendor.id, claim, work.now))
            work.record(claim=claim.model_dump(exclude_none=True))
            work.session.flush()
            return vendor_public(work.session, vendor)

    def list(self, actor: Principal) -> VendorsPublic:
        with self._ctx.uow(actor, "vendor.list", "ch_vendor", None) as work:
            rows = work.session.scalars(sa.select(VendorRow).order_by(VendorRow.name)).all()
            shown = [
                vendor_public(work.session, v) for v in rows if work.allowed(Action.READ, vendor_resource(v.org_id))
            ]
            work.record(count=len(shown))
            return VendorsPublic(data=shown, count=len(shown))
