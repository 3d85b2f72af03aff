"""What the defense slice returns and accepts: typed, validated records (the API serves them as they are)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import NewType

from pydantic import BaseModel, ConfigDict, Field

from bastion.core.fields import RequestBody
from bastion.core.ids import ProjectID, SystemID, VersionID, VexStatementID, VulnID
from bastion.core.principal import OrgID

ExposureID = NewType("ExposureID", int)
PackageKey = tuple[str, str]  # (OSV ecosystem, package name as the advisory database normalises it)


class SystemExposure(StrEnum):
    """SSVC's System Exposure, as the agency declares it for a system."""

    SMALL = "small"  # local service or program; reachable only through a few controlled paths
    CONTROLLED = "controlled"  # networked, with access restrictions or mitigations in place
    OPEN = "open"  # reachable from the internet or another widely accessible network


class MissionImpact(StrEnum):
    """SSVC's Mission & Well-being impact, as the agency declares it for a system."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class SsvcDecision(StrEnum):
    """CISA's SSVC outcomes, most urgent first in ``RANK``."""

    ACT = "Act"
    ATTEND = "Attend"
    TRACK_STAR = "Track*"
    TRACK = "Track"


SSVC_RANK = {SsvcDecision.ACT: 0, SsvcDecision.ATTEND: 1, SsvcDecision.TRACK_STAR: 2, SsvcDecision.TRACK: 3}


class VexStatus(StrEnum):
    NOT_AFFECTED = "not_affected"
    AFFECTED = "affected"
    FIXED = "fixed"
    UNDER_INVESTIGATION = "under_investigation"


class Justification(StrEnum):
    """Why a component is not affected: OpenVEX's justifications and CycloneDX's analysis justifications."""

    # OpenVEX (and CSAF's flags)
    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = "vulnerable_code_cannot_be_controlled_by_adversary"
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"
    # CycloneDX
    CODE_NOT_PRESENT = "code_not_present"
    CODE_NOT_REACHABLE = "code_not_reachable"
    REQUIRES_CONFIGURATION = "requires_configuration"
    REQUIRES_DEPENDENCY = "requires_dependency"
    REQUIRES_ENVIRONMENT = "requires_environment"
    PROTECTED_BY_COMPILER = "protected_by_compiler"
    PROTECTED_AT_RUNTIME = "protected_at_runtime"
    PROTECTED_AT_PERIMETER = "protected_at_perimeter"
    PROTECTED_BY_MITIGATING_CONTROL = "protected_by_mitigating_control"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Request(RequestBody):
    """A body a client sends: unknown fields refused, every value storable (no NUL) before anything else."""

    model_config = ConfigDict(frozen=True)


class SystemCreate(_Request):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    exposure: SystemExposure
    mission_impact: MissionImpact


class SystemPublic(_Record):
    id: SystemID
    name: str
    description: str
    exposure: SystemExposure
    mission_impact: MissionImpact
    created_at: datetime


class ProjectCreate(_Request):
    name: str = Field(min_length=1, max_length=200)


class ProjectPublic(_Record):
    id: ProjectID
    system_id: SystemID
    name: str
    created_at: datetime
    current_version_id: VersionID | None = None


class VersionPublic(_Record):
    id: VersionID
    project_id: ProjectID
    number: int
    label: str
    format: str
    filename: str
    sha256: str
    component_count: int
    matchable: int  # components whose purl names an OSV ecosystem (the others cannot be matched)
    current: bool
    created_at: datetime


class ComponentPublic(_Record):
    purl: str | None
    name: str
    version: str | None
    ecosystem: str | None


class Severity(_Record):
    vector: str
    score: float
    rating: str  # None, Low, Medium, High, Critical


class Kev(_Record):
    cve: str
    date_added: date
    due_date: date | None


class Epss(_Record):
    cve: str
    epss: float
    percentile: float
    score_date: date | None


class SsvcAssessment(_Record):
    decision: SsvcDecision
    exploitation: str  # none | poc | active
    automatable: bool
    technical_impact: str  # partial | total
    mission_impact: MissionImpact
    system_exposure: SystemExposure


class VexState(_Record):
    status: VexStatus
    justification: Justification | None
    detail: str
    source: str
    source_name: str


class ExposurePublic(_Record):
    """One advisory on one component of a project's current version, with what it takes to decide on it."""

    id: int
    system_id: SystemID
    project_id: ProjectID
    version_id: VersionID
    purl: str
    package: str  # the purl without version
    ecosystem: str
    name: str
    version: str
    advisory_id: VulnID
    aliases: list[str]
    summary: str | None
    severity: Severity | None
    kev: Kev | None
    epss: Epss | None
    fixed_versions: list[str]
    upgrade_to: str | None  # the smallest version that clears every advisory on this component
    ssvc: SsvcAssessment
    vex: VexState | None
    suppressed: bool  # a not_affected or fixed statement applies: out of the worklist
    first_seen_at: datetime


class NewExposure(_Record):
    """An exposure that did not exist before (handed to listeners in the transaction that created it)."""

    id: int
    org_id: OrgID
    system_id: SystemID
    project_id: ProjectID
    version_id: VersionID
    purl: str
    advisory_id: VulnID
    cause: str  # upload | advisories


class VexDecision(_Request):
    advisory_id: VulnID = Field(min_length=1, max_length=255)
    package: str = Field(min_length=5, max_length=500, description="the purl of the package (any version)")
    status: VexStatus
    justification: Justification | None = None
    detail: str = Field(default="", max_length=10_000)


class VexPublic(_Record):
    id: VexStatementID
    project_id: ProjectID | None
    advisory_id: VulnID
    package: str
    version: str | None
    status: VexStatus
    justification: Justification | None
    detail: str
    source: str
    source_name: str
    updated_at: datetime


class Statistics(_Record):
    """Programme-wide counts: never names or identifies an agency."""

    agencies: int
    systems: int
    projects: int
    components: int
    exposures: int
    kev_exposures: int
    by_decision: dict[str, int]
