"""The ids of stored things, one ``NewType`` per kind (``core.principal`` has ``UserID`` and ``OrgID``).

A service names the kind of every id it takes, returns or keeps in a record, and a shell wraps a path, query
or form value once, where it enters (``ReviewID(review_id)``): mypy then proves that a finding id is never
passed where a review id is wanted. The evaluation battery's port names the review a run is for, and the
clearinghouse names the finding a report came from. At run time each is a ``str``."""

from __future__ import annotations

from typing import NewType

# Identity (users and organisations are ``core.principal``'s ``UserID`` and ``OrgID``).
TokenID = NewType("TokenID", str)  # an API token's id (its prefix is shown; the secret never is)
SessionID = NewType("SessionID", str)  # a web session's id

# The voluntary pre-release review.
SubmissionID = NewType("SubmissionID", str)
NominationID = NewType("NominationID", str)
SelectionDecisionID = NewType("SelectionDecisionID", str)
ReviewID = NewType("ReviewID", str)
ExtensionID = NewType("ExtensionID", str)
AssignmentID = NewType("AssignmentID", str)
FindingID = NewType("FindingID", str)
ResponseID = NewType("ResponseID", str)
EvidenceID = NewType("EvidenceID", str)
OutboxMessageID = NewType("OutboxMessageID", str)

# The clearinghouse.
TrackingID = NewType("TrackingID", str)  # an intake submission's, which its reporter quotes
ReportID = NewType("ReportID", str)
ValidationID = NewType("ValidationID", str)
VendorID = NewType("VendorID", str)
CaseID = NewType("CaseID", str)
EmbargoRevisionID = NewType("EmbargoRevisionID", str)
FixID = NewType("FixID", str)
CaseMessageID = NewType("CaseMessageID", str)  # a message in a case's thread
NoticeID = NewType("NoticeID", str)  # a message of the clearinghouse's outbox
ClaimID = NewType("ClaimID", str)  # a vendor's claim on a purl namespace or CPE product
AdvisoryID = NewType("AdvisoryID", str)  # e.g. "BASTION-2026-0001": the OSV id and the CSAF tracking id

# Identifiers of public catalogues.
CveID = NewType("CveID", str)  # "CVE-2026-12345"
CweID = NewType("CweID", str)  # "CWE-79"

# The evaluation battery.
EvalRunID = NewType("EvalRunID", str)

# The vulnerability database: an OSV record's id (GHSA-..., PYSEC-..., CVE-..., x_BASTION-...).
VulnID = NewType("VulnID", str)

# The defensive tools (an exposure's id is an integer: ``defense.records.ExposureID``).
SystemID = NewType("SystemID", str)
ProjectID = NewType("ProjectID", str)
VersionID = NewType("VersionID", str)
VexStatementID = NewType("VexStatementID", str)
AlertID = NewType("AlertID", str)
DeliveryID = NewType("DeliveryID", str)
TriageProposalID = NewType("TriageProposalID", str)
