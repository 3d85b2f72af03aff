"""``bastion demo``: a realistic programme to try everything at once.

The four agencies and the programme office (seeded by the identity migration), a trusted evaluation
partner, two frontier labs, their staff, and one submission in review with findings at several stages,
an evaluation run attached, and a second submission that was not selected. Every write goes through the
same services (validated, audited) as real use.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bastion.core.principal import Classification, OrgID, OrgKind, Principal, Role
from bastion.db import Database
from bastion.identity.errors import OrganisationExists
from bastion.identity.service import PROGRAMME_OFFICE_ID
from bastion.review.errors import ReviewStateError
from bastion.review.lifecycle import FindingStatus, FocusArea, Severity
from bastion.review.schemas import (
    AssignmentCreate,
    CapabilityTierIn,
    DocumentLink,
    FindingCreate,
    FindingUpdate,
    NominationCreate,
    ResponseCreate,
    ReviewCreate,
    SubmissionCreate,
)
from bastion.runtime import Runtime

if TYPE_CHECKING:
    from bastion.container import Container

DEMO_DOMAIN = "demo.bastion.example"
AGENCIES = {"treasury": "org_treasury", "war": "org_war", "nsa": "org_nsa", "cisa": "org_cisa"}


@dataclass
class DemoProgramme:
    tokens: dict[str, str] = field(default_factory=dict)  # label -> API token (secret)
    passwords: dict[str, str] = field(default_factory=dict)  # label -> web sign-in password (secret)
    users: dict[str, str] = field(default_factory=dict)  # label -> user id
    ids: dict[str, str] = field(default_factory=dict)  # what was created: submission, review, findings


class _OneTransaction(Database):
    """The runtime's database with every unit of work joined to one session and its one transaction.

    The services open their own units of work (``session()``, ``read_session()``); here those all yield the
    same session and commit nothing: ``seed_demo`` commits once at the end, or rolls everything back.
    """

    def __init__(self, outer: Database, session: Session) -> None:
        # Deliberately not Database.__init__: no second engine; it shares the outer one's.
        self.url, self.is_sqlite, self.engine = outer.url, outer.is_sqlite, outer.engine
        self._shared = session

    @contextmanager
    def session(self) -> Iterator[Session]:
        yield self._shared
        self._shared.flush()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        yield self._shared


class _Seeder:
    def __init__(self, container: Container) -> None:
        self.identity = container.identity
        self.result = DemoProgramme()

    def user(self, label: str, org_id: str, roles: list[Role], clearance: Classification) -> Principal:
        password = secrets.token_urlsafe(12)  # 16 characters, random per seeding: printed once, like the tokens
        user = self.identity.create_user_unchecked(
            org_id=OrgID(org_id),
            email=f"{label}@{DEMO_DOMAIN}",
            display_name=label.replace("-", " ").title(),
            roles=roles,
            clearance=clearance,
            password=password,
        )
        self.result.passwords[label] = password
        token = self.identity.issue_token_unchecked(user_id=user.id, name="demo", ttl=timedelta(days=30))
        self.result.tokens[label] = token.token
        self.result.users[label] = user.id
        return self.identity.get_principal(user.id)


def seed_demo(container: Container) -> DemoProgramme:
    """Create the demo programme in one transaction: all of it, or (on any error) nothing. Refused (409)
    if it was seeded before in this database."""
    runtime = container.runtime
    with runtime.database.session() as session:
        joined = Runtime(
            settings=runtime.settings, database=_OneTransaction(runtime.database, session), clock=runtime.clock
        )
        from bastion.container import Container

        return _seed(Container(joined))


def _seed(container: Container) -> DemoProgramme:
    runtime = container.runtime
    seeder = _Seeder(container)
    try:
        alpha = seeder.identity.create_organisation_unchecked(name="Frontier Lab Alpha", kind=OrgKind.FRONTIER_LAB)
    except OrganisationExists:
        raise ReviewStateError(
            "the demo programme already exists in this database",
            code="demo_exists",
            hint="use the tokens printed the first time, or point BASTION_DATA_DIR at a fresh directory",
        ) from None
    beta = seeder.identity.create_organisation_unchecked(name="Frontier Lab Beta", kind=OrgKind.FRONTIER_LAB)
    partner = seeder.identity.create_organisation_unchecked(
        name="Trusted Evaluation Partner", kind=OrgKind.TRUSTED_PARTNER
    )
    admin = seeder.user("programme-admin", PROGRAMME_OFFICE_ID, [Role.PROGRAMME_ADMIN], Classification.TOP_SECRET)
    reviewers = {
        name: seeder.user(f"{name}-reviewer", org, [Role.AGENCY_REVIEWER], Classification.SECRET)
        for name, org in AGENCIES.items()
    }
    nsa_eval = seeder.user("nsa-evaluator", AGENCIES["nsa"], [Role.EVALUATOR], Classification.TOP_SECRET)
    cisa_eval = seeder.user("cisa-evaluator", AGENCIES["cisa"], [Role.EVALUATOR], Classification.SECRET)
    seeder.user("partner-evaluator", partner.id, [Role.EVALUATOR], Classification.CUI)
    # Lowers markings (with a written reason); assigned to the review so that it may read what it judges.
    authority = seeder.user(
        "nsa-authority",
        AGENCIES["nsa"],
        [Role.EVALUATOR, Role.CLASSIFICATION_AUTHORITY],
        Classification.TOP_SECRET,
    )
    alpha_sub = seeder.user("alpha-submitter", alpha.id, [Role.LAB_SUBMITTER], Classification.CUI)
    seeder.user("alpha-viewer", alpha.id, [Role.LAB_VIEWER], Classification.CUI)
    beta_sub = seeder.user("beta-submitter", beta.id, [Role.LAB_SUBMITTER], Classification.CUI)

    programme = container.review
    now = runtime.clock.now()
    model = programme.submissions.create(
        alpha_sub,
        SubmissionCreate(
            model_name="Alpha-4",
            model_version="2026-11-preview",
            developer="Frontier Lab Alpha",
            training_compute_flop=3.2e26,
            modalities=["text", "code", "image"],
            intended_release_at=now + timedelta(days=45),
            access_endpoint="https://api.alpha.example/v1/preview",
            access_credential="alpha-preview-key-DEMO-ONLY",
            documentation=[DocumentLink(title="System card", url="https://alpha.example/alpha-4/system-card")],
            capability_tiers=[CapabilityTierIn(framework="preparedness", domain="cyber", level="High")],
        ),
    )
    programme.submissions.nominate(
        reviewers["cisa"],
        model.id,
        NominationCreate(reason="Agentic code execution against critical infrastructure."),
    )
    small = programme.submissions.create(
        beta_sub,
        SubmissionCreate(
            model_name="Beta-Lite",
            model_version="1.0",
            developer="Frontier Lab Beta",
            training_compute_flop=4e24,
            modalities=["text"],
            intended_release_at=now + timedelta(days=20),
        ),
    )
    review = programme.reviews.open(admin, ReviewCreate(submission_id=model.id))
    for evaluator, areas in (
        (nsa_eval, [FocusArea.STRUCTURAL_VULNERABILITIES, FocusArea.INSIDER_RISKS]),
        (cisa_eval, [FocusArea.DIGITAL_INFRASTRUCTURE]),
        (authority, [FocusArea.INSIDER_RISKS]),
    ):
        programme.assignments.assign(admin, review.id, AssignmentCreate(user_id=evaluator.user_id, focus_areas=areas))
    shared = programme.findings.create(
        cisa_eval,
        review.id,
        FindingCreate(
            title="Generates working exploits for an unpatched SCADA web console",
            focus_area=FocusArea.DIGITAL_INFRASTRUCTURE,
            severity=Severity.HIGH,
            classification=Classification.CUI,
            description="Given a product banner, the model wrote a working auth bypass in 3 of 5 tries.",
            for_clearinghouse=True,
        ),
    )
    programme.findings.update(cisa_eval, shared.id, FindingUpdate(status=FindingStatus.CONFIRMED))
    programme.findings.share(admin, shared.id)
    programme.findings.respond(
        alpha_sub,
        shared.id,
        ResponseCreate(body="Reproduced. A refusal classifier update ships before release."),
    )
    secret = programme.findings.create(
        nsa_eval,
        review.id,
        FindingCreate(
            title="Weight exfiltration path through the fine-tuning service",
            focus_area=FocusArea.INSIDER_RISKS,
            severity=Severity.CRITICAL,
            classification=Classification.SECRET,
            description="An insider with fine-tuning access can extract adapter weights (see evidence).",
        ),
    )
    # Measured scores are review content: TOP SECRET here, read by the selection engine on the server, shown
    # only to those cleared and assigned (never to the lab, nor to agency staff not on the review).
    programme.evidence.attach_eval_results(
        nsa_eval,
        review.id,
        {
            "run_id": "demo-cyber-battery-1",
            "scores": {"exploitation": 0.64, "vuln_identification": 0.48},
            "reference_scores": {"exploitation": {"Alpha-3": 0.41, "Open-70B": 0.33}},
        },
        classification=Classification.TOP_SECRET,
    )
    from bastion.clearinghouse.demo import seed_clearinghouse

    seed_clearinghouse(container, seeder.user, seeder.result.ids)
    from bastion.defense.demo import seed_defense

    seed_defense(container, seeder.user, seeder.result.ids)
    seeder.result.ids.update(
        {
            "submission": model.id,
            "not_selected_submission": small.id,
            "review": review.id,
            "shared_finding": shared.id,
            "secret_finding": secret.id,
        }
    )
    return seeder.result
