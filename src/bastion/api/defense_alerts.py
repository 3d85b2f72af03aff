"""/api/defense: an agency's alert settings and alerts (with each delivery's state), and the AI triage
assistant's proposals (propose for one exposure, list, read, confirm, reject). Thin: parse, call the service,
return its record. A proposal whose model answer was unusable is recorded and answered with 503
``triage_answer_invalid`` naming what was wrong (``details.proposal_id`` is the record)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from bastion.api.auth import PrincipalDep
from bastion.api.deps import ContainerDep
from bastion.core.fields import INT64_MAX
from bastion.core.ids import AlertID, DeliveryID, ProjectID, TriageProposalID
from bastion.defense.alerts import (
    AlertPublic,
    AlertService,
    AlertSettingsPublic,
    AlertSettingsUpdate,
    AlertsPublic,
    DeliveryPublic,
)
from bastion.defense.outbox import ChannelChecks
from bastion.defense.triage_service import (
    TriageConfirm,
    TriageProposalPublic,
    TriageProposalsPublic,
    TriageReject,
    TriageRequest,
    TriageService,
)

router = APIRouter(prefix="/api/defense")
_alerts: list[str | Enum] = ["defense: alerts"]
_triage: list[str | Enum] = ["defense: triage assistant"]
_CREATED = status.HTTP_201_CREATED


def _alert_service(container: ContainerDep) -> AlertService:
    return container.defense_alerts


def _triage_service(container: ContainerDep) -> TriageService:
    return container.triage


AlertsDep = Annotated[AlertService, Depends(_alert_service)]
TriageDep = Annotated[TriageService, Depends(_triage_service)]


@router.get("/alert-settings", tags=_alerts, summary="Where the agency's alerts go")
def alert_settings(actor: PrincipalDep, alerts: AlertsDep) -> AlertSettingsPublic:
    return alerts.settings(actor)


@router.put("/alert-settings", tags=_alerts, summary="Set where the agency's alerts go (webhook, e-mail)")
def configure_alerts(body: AlertSettingsUpdate, actor: PrincipalDep, alerts: AlertsDep) -> AlertSettingsPublic:
    return alerts.configure(actor, body)


@router.post("/alert-settings/test", tags=_alerts, summary="Send a test alert to each channel now")
def test_alerts(actor: PrincipalDep, container: ContainerDep) -> ChannelChecks:
    return container.alert_outbox.send_test(actor)


@router.get("/alerts", tags=_alerts, summary="The agency's alerts, newest first, with their deliveries")
def list_alerts(
    actor: PrincipalDep,
    alerts: AlertsDep,
    project_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AlertsPublic:
    return alerts.list(actor, project_id=None if project_id is None else ProjectID(project_id), limit=limit)


@router.get("/alerts/{alert_id}", tags=_alerts, summary="One alert")
def get_alert(alert_id: str, actor: PrincipalDep, alerts: AlertsDep) -> AlertPublic:
    return alerts.get(actor, AlertID(alert_id))


@router.post("/alert-deliveries/{delivery_id}/retry", tags=_alerts, summary="Try a given-up delivery again")
def retry_delivery(delivery_id: str, actor: PrincipalDep, alerts: AlertsDep) -> DeliveryPublic:
    return alerts.retry(actor, DeliveryID(delivery_id))


@router.post(
    "/exposures/{exposure_id}/triage",
    tags=_triage,
    status_code=_CREATED,
    summary="Ask the AI triage assistant about one exposure (a proposal: nothing is applied)",
    responses={
        503: {
            "description": "The model did not answer (triage_model_failed), or its answer was no usable proposal "
            "(triage_answer_invalid: recorded, details.proposal_id)"
        }
    },
)
def propose(
    exposure_id: Annotated[int, Path(ge=1, le=INT64_MAX)], body: TriageRequest, actor: PrincipalDep, triage: TriageDep
) -> TriageProposalPublic:
    return triage.propose(actor, exposure_id, body)


@router.get("/triage", tags=_triage, summary="The agency's triage proposals, newest first")
def list_proposals(
    actor: PrincipalDep,
    triage: TriageDep,
    exposure_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    status: Annotated[str | None, Query(pattern="^(proposed|invalid|confirmed|rejected)$")] = None,
) -> TriageProposalsPublic:
    return triage.list(actor, exposure_id=exposure_id, status=status)


@router.get("/triage/{proposal_id}", tags=_triage, summary="One triage proposal, with its model, prompt hash, inputs")
def get_proposal(proposal_id: str, actor: PrincipalDep, triage: TriageDep) -> TriageProposalPublic:
    return triage.get(actor, TriageProposalID(proposal_id))


@router.post(
    "/triage/{proposal_id}/confirm", tags=_triage, summary="Confirm a proposal: its VEX draft becomes the decision"
)
def confirm_proposal(
    proposal_id: str, body: TriageConfirm, actor: PrincipalDep, triage: TriageDep
) -> TriageProposalPublic:
    return triage.confirm(actor, TriageProposalID(proposal_id), body)


@router.post("/triage/{proposal_id}/reject", tags=_triage, summary="Reject a proposal")
def reject_proposal(
    proposal_id: str, body: TriageReject, actor: PrincipalDep, triage: TriageDep
) -> TriageProposalPublic:
    return triage.reject(actor, TriageProposalID(proposal_id), body)
