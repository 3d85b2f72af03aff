"""The AI cybersecurity clearinghouse: its public face for the shells and the composition root. The use cases
hang off ``Clearinghouse`` (built by the container); the records, states and errors the shells need are here."""

from bastion.clearinghouse.advisory import NotAffectedJustification, VendorStatus
from bastion.clearinghouse.cases import (
    CaseClose,
    CaseResolution,
    ExploitedMark,
    MessageCreate,
    VendorAdd,
    VendorStatusUpdate,
)
from bastion.clearinghouse.embargo import RevisionCreate, RevisionDecision
from bastion.clearinghouse.errors import ClearinghouseError, invalid
from bastion.clearinghouse.fixes import AiPatchRequest, FixDeclaration, PatchCandidate
from bastion.clearinghouse.public import (
    CasePublic,
    CasesPublic,
    FixPublic,
    MessagePublic,
    MessagesPublic,
    OutboxMessagePublic,
    OutboxPublic,
    PublicationPublic,
    PublicationsPublic,
    ReporterRecord,
    ReportPublic,
    ReportsPublic,
    SubmissionAck,
    TickResult,
    VendorPublic,
    VendorsPublic,
)
from bastion.clearinghouse.publication import PublishRequest
from bastion.clearinghouse.reporters import ReporterRegistration
from bastion.clearinghouse.reports import Decision, MoreInformation, ReportDecision
from bastion.clearinghouse.sarif import Level, SarifProduct
from bastion.clearinghouse.schemas import AffectedRange, ReportSubmission
from bastion.clearinghouse.service import Clearinghouse
from bastion.clearinghouse.states import CaseStatus, ReportStatus
from bastion.clearinghouse.vendors import ClaimIn, VendorCreate

__all__ = [
    "AffectedRange",
    "AiPatchRequest",
    "CaseClose",
    "CasePublic",
    "CaseResolution",
    "CaseStatus",
    "CasesPublic",
    "ClaimIn",
    "Clearinghouse",
    "ClearinghouseError",
    "Decision",
    "ExploitedMark",
    "FixDeclaration",
    "FixPublic",
    "Level",
    "MessageCreate",
    "MessagePublic",
    "MessagesPublic",
    "MoreInformation",
    "NotAffectedJustification",
    "OutboxMessagePublic",
    "OutboxPublic",
    "PatchCandidate",
    "PublicationPublic",
    "PublicationsPublic",
    "PublishRequest",
    "ReportDecision",
    "ReportPublic",
    "ReportStatus",
    "ReportSubmission",
    "ReporterRecord",
    "ReporterRegistration",
    "ReportsPublic",
    "RevisionCreate",
    "RevisionDecision",
    "SarifProduct",
    "SubmissionAck",
    "TickResult",
    "VendorAdd",
    "VendorCreate",
    "VendorPublic",
    "VendorStatus",
    "VendorStatusUpdate",
    "VendorsPublic",
    "invalid",
]
