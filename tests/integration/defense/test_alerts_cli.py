"""``bastion defend alerts`` and ``bastion defend triage`` as an agency's analyst runs them, and the
``defense.alerts`` periodic job in the embedded worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bastion.cli.main import main
from bastion.container import Container
from bastion.core.clock import ManualClock
from bastion.defense.alerts import AlertSettingsUpdate
from bastion.defense.triage_service import TriageRequest
from bastion.jobs.interface import JobStatus
from bastion.runtime import Runtime
from bastion.workers import ALERT_DELIVERY, in_process_runner
from tests.integration.defense import fixtures, test_delivery, test_triage
from tests.integration.defense.fixtures import Agencies
from tests.integration.defense.support import REQUIREMENTS
from tests.integration.defense.test_alerts import ADVISORY_ID, advisory, import_advisory, inventory
from tests.integration.defense.test_delivery import SECRET, MailSink, WebhookReceiver

agencies, webhook, smtp, script = fixtures.agencies, test_delivery.webhook, test_delivery.smtp, test_triage.script


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_analyst_sets_where_alerts_go_sees_them_and_delivers_them_from_the_command_line(
    cli_env: Runtime,
    container: Container,
    agencies: Agencies,
    webhook: WebhookReceiver,
    smtp: MailSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BASTION_TOKEN", agencies.tokens["treasury"])
    monkeypatch.setenv("BASTION_SMTP_HOST", smtp.host)
    monkeypatch.setenv("BASTION_SMTP_PORT", str(smtp.port))
    secret = tmp_path / "webhook.secret"
    secret.write_text(SECRET + "\n")

    code, _, err = run(capsys, "defend", "alerts", "configure", "--webhook-url", webhook.url, "--email", "soc at x")
    assert code == 2 and "not an e-mail address" in err
    code, _, err = run(capsys, "defend", "alerts", "configure", "--webhook-url", webhook.url)
    assert code == 2 and "needs a secret" in err
    code, out, _ = run(
        capsys,
        "defend", "alerts", "configure",
        "--webhook-url", webhook.url,
        "--webhook-secret-file", str(secret),
        "--email", "soc@treasury.example",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["webhook_secret_set"] is True and SECRET not in out
    assert json.loads(run(capsys, "defend", "alerts", "settings")[1])["emails"] == ["soc@treasury.example"]

    inventory(container, agencies.principals["treasury"], tmp_path, REQUIREMENTS)
    import_advisory(container, tmp_path, advisory())
    (alert,) = json.loads(run(capsys, "defend", "alerts", "list", "--json")[1])["data"]
    assert alert["advisory_id"] == ADVISORY_ID and {d["status"] for d in alert["deliveries"]} == {"pending"}
    code, out, _ = run(capsys, "defend", "alerts", "list")
    assert code == 0 and "1 alerts" in out and alert["id"] in out

    code, out, _ = run(capsys, "defend", "alerts", "deliver")
    assert code == 0 and json.loads(out) == {"attempted": 2, "delivered": 2, "retrying": 0, "given_up": 0}
    assert [r.json()["id"] for r in webhook.verified] == [alert["id"]] and len(smtp.messages) == 1
    shown = json.loads(run(capsys, "defend", "alerts", "show", alert["id"])[1])
    assert {d["status"] for d in shown["deliveries"]} == {"delivered"}

    monkeypatch.setenv("BASTION_TOKEN", agencies.tokens["energy"])
    code, _, err = run(capsys, "defend", "alerts", "show", alert["id"])
    assert code == 2 and "not found" in err


def test_the_periodic_job_delivers_due_alerts(
    runtime: Runtime, container: Container, agencies: Agencies, webhook: WebhookReceiver, clock: ManualClock,
    tmp_path: Path,
) -> None:  # fmt: skip
    treasury = agencies.principals["treasury"]
    container.defense_alerts.configure(treasury, AlertSettingsUpdate(webhook_url=webhook.url, webhook_secret=SECRET))
    inventory(container, treasury, tmp_path, REQUIREMENTS)
    import_advisory(container, tmp_path, advisory())
    webhook.now = clock.now()
    runtime.settings = runtime.settings.model_copy(
        update={"review_tick_seconds": 0, "clearinghouse_tick_seconds": 0, "advisory_refresh_seconds": 0}
    )
    jobs = in_process_runner(Container(runtime), worker="embedded").run_until_idle()
    (job,) = [j for j in jobs if j.kind == ALERT_DELIVERY]
    assert job.status is JobStatus.SUCCEEDED and job.result == {
        "attempted": 1,
        "delivered": 1,
        "retrying": 0,
        "given_up": 0,
    }
    assert len(webhook.verified) == 1


def test_an_analyst_reviews_triage_proposals_from_the_command_line(
    cli_env: Runtime,
    agencies: Agencies,
    script: test_triage.Script,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scripted = Container(cli_env, triage_models=script)
    treasury = agencies.principals["treasury"]
    import_advisory(scripted, tmp_path, advisory())
    project = inventory(scripted, treasury, tmp_path, REQUIREMENTS)
    (exposure,) = [e for e in scripted.defense.exposures(treasury, project_id=project) if e.advisory_id == ADVISORY_ID]
    script.answers = [json.dumps(test_triage.PROPOSAL)]
    made = scripted.triage.propose(treasury, exposure.id, TriageRequest(model="mockllm/model"))
    monkeypatch.setenv("BASTION_TOKEN", agencies.tokens["treasury"])

    code, out, _ = run(capsys, "defend", "triage", "list")
    assert code == 0 and "1 proposals" in out and made.id in out
    (listed,) = json.loads(run(capsys, "defend", "triage", "list", "--json")[1])["data"]
    assert listed["proposal"]["vex"]["status"] == "not_affected" and listed["proposal"]["reachability"] == "unlikely"
    confirm = ("defend", "triage", "confirm", made.id, "--status", "affected")
    code, out, err = run(capsys, *confirm, "--justification", "component_not_present", "--detail", "x")
    assert code == 2 and "only a not_affected draft has a justification" in " ".join(err.split())
    code, out, _ = run(
        capsys,
        "defend",
        "triage",
        "confirm",
        made.id,
        "--status",
        "affected",
        "--detail",
        "used in the templating path",
    )
    confirmed = json.loads(out)
    assert code == 0 and confirmed["status"] == "confirmed"
    (decision,) = scripted.defense.vex_statements(treasury, project)
    assert (decision.status.value, decision.detail) == ("affected", "used in the templating path")

    # asking from the command line: Inspect's unscripted mockllm cannot answer offline (it would download a
    # tokenizer; online it answers with text that is no proposal): a clear operational error, exit 3
    graph = tmp_path / "imports.txt"
    graph.write_text("payments.api -> jinja2\n")
    propose = ("defend", "triage", "propose", str(exposure.id), "--model", "mockllm/model")
    code, _, err = run(capsys, *propose, "--import-graph", str(graph))
    assert code == 3 and ("did not answer" in err or "not JSON" in err) and "hint" in err
    code, _, err = run(capsys, *propose, "--import-graph", str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read evidence" in err
    assert [p.status for p in scripted.triage.list(treasury).data if p.status != "invalid"] == ["confirmed"]

    script.answers = [json.dumps(test_triage.PROPOSAL)]
    second = scripted.triage.propose(treasury, exposure.id, TriageRequest(model="mockllm/model"))
    rejected = json.loads(run(capsys, "defend", "triage", "reject", second.id, "--note", "used at runtime")[1])
    assert rejected["status"] == "rejected" and rejected["decision_note"] == "used at runtime"
