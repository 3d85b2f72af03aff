"""Who is acting: the vocabulary shared by identity, the access policy, the audit log and every slice."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import NewType

UserID = NewType("UserID", str)
OrgID = NewType("OrgID", str)


class Classification(IntEnum):
    """Ordered classification levels. A principal reads a thing only if clearance >= its level."""

    UNCLASSIFIED = 0
    CUI = 1
    CONFIDENTIAL = 2
    SECRET = 3
    TOP_SECRET = 4

    @classmethod
    def parse(cls, value: str | int | Classification) -> Classification:
        if isinstance(value, Classification):
            return value
        if isinstance(value, int):
            return cls(value)
        key = value.strip().upper().replace(" ", "_").replace("-", "_")
        try:
            return cls[key]
        except KeyError:
            allowed = ", ".join(c.name for c in cls)
            raise ValueError(f"unknown classification {value!r}; use one of: {allowed}") from None

    @property
    def banner(self) -> str:
        """The marking text, as printed in banners (``TOP SECRET``)."""
        return self.name.replace("_", " ")

    @property
    def portion(self) -> str:
        """The portion marking, as printed before each paragraph (``(TS)``)."""
        return {
            Classification.UNCLASSIFIED: "(U)",
            Classification.CUI: "(CUI)",
            Classification.CONFIDENTIAL: "(C)",
            Classification.SECRET: "(S)",
            Classification.TOP_SECRET: "(TS)",
        }[self]


class OrgKind(StrEnum):
    FRONTIER_LAB = "frontier_lab"
    AGENCY = "agency"
    TRUSTED_PARTNER = "trusted_partner"
    PROGRAMME_OFFICE = "programme_office"
    VENDOR = "vendor"  # a software vendor or open-source project: owns package namespaces (the clearinghouse)
    RESEARCHER = "researcher"  # independent researchers and the operators of AI bug-finding tools


class Role(StrEnum):
    PROGRAMME_ADMIN = "programme_admin"
    AGENCY_REVIEWER = "agency_reviewer"
    EVALUATOR = "evaluator"
    LAB_SUBMITTER = "lab_submitter"
    LAB_VIEWER = "lab_viewer"
    REPORTER = "reporter"  # files vulnerability reports with the clearinghouse (a person or an AI tool)
    VENDOR_CONTACT = "vendor_contact"  # answers for a vendor in clearinghouse cases
    CLEARINGHOUSE_ANALYST = "clearinghouse_analyst"  # Treasury, CISA and partners: triage, cases, publication
    # Lowers the marking of review content it may read (with a written reason, audited); nobody else can.
    CLASSIFICATION_AUTHORITY = "classification_authority"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user as every policy decision sees them."""

    user_id: UserID
    org_id: OrgID
    org_kind: OrgKind
    roles: frozenset[Role] = field(default_factory=frozenset)
    clearance: Classification = Classification.UNCLASSIFIED
    via_session: bool = False  # authenticated by a web session (hours), not an API token (months)

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    def cleared_for(self, level: Classification) -> bool:
        return self.clearance >= level
