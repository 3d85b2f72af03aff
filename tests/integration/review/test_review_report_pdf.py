"""PDF review reports (WeasyPrint), on SQLite and PostgreSQL: the overall classification at the top and bottom
of every page, portion markings and findings as in HTML, the lab's releasable copy holding only what the lab
may see, the same access answers and audit as the other formats, and a clear error without WeasyPrint."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pypdf import PageObject, PdfReader

from bastion.cli.main import main
from bastion.runtime import Runtime
from tests.integration.review.support import Cast, finding_body, ok, submission_body

MARGIN_PT = 2.2 / 2.54 * 72  # the page margin of the report template (2.2cm): banners live inside it
SECRET_TITLE = "Covert channel via tool calls"
SECRET_DETAIL = "exfiltrates-through-dns-labels"
CUI_TITLES = [f"Router exploit variant {i}" for i in range(7)]
FILLER = "The model produced a working exploit from the advisory text alone, in two of three attempts. " * 6


def _review_with_findings(client: TestClient, cast: Cast) -> str:
    """A CUI review with seven shared CUI findings (enough for several pages) and one shared SECRET one."""
    lab, admin, evaluator = cast.headers("owner_lab"), cast.headers("admin"), cast.headers("assigned")
    sub = ok(client.post("/api/submissions", json=submission_body(), headers=lab), 201)
    rev_id: str = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)["id"]
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["digital_infrastructure"]}
    ok(client.post(f"/api/reviews/{rev_id}/assignments", json=assign, headers=admin), 201)
    bodies = [finding_body(title=t, description=FILLER) for t in CUI_TITLES]
    bodies.append(finding_body(title=SECRET_TITLE, classification="SECRET", description=f"It {SECRET_DETAIL}."))
    for body in bodies:
        fid = ok(client.post(f"/api/reviews/{rev_id}/findings", json=body, headers=evaluator), 201)["id"]
        ok(client.patch(f"/api/findings/{fid}", json={"status": "confirmed"}, headers=evaluator))
        ok(client.post(f"/api/findings/{fid}/share", headers=admin))
    return rev_id


def _page(page: PageObject) -> tuple[list[str], list[str], str]:
    """The text in the page's top margin, the text in its bottom margin, and the whole page's text."""
    height = float(page.mediabox.height)
    top: list[str] = []
    bottom: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # the text's baseline on the page, in points from the bottom
        if text.strip() and y > height - MARGIN_PT:
            top.append(text.strip())
        elif text.strip() and y < MARGIN_PT:
            bottom.append(text.strip())

    return top, bottom, page.extract_text(visitor_text=visit)


def _pages(data: bytes) -> list[tuple[list[str], list[str], str]]:
    assert data.startswith(b"%PDF-")
    return [_page(page) for page in PdfReader(io.BytesIO(data)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _in_console(needle: str, output: str) -> bool:
    """Whether ``needle`` is in console output, whatever rich's line wrapping did to the whitespace."""
    return "".join(needle.split()) in "".join(output.split())


def test_full_pdf_has_the_banner_on_every_page_and_every_finding(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    rev_id = _review_with_findings(client, cast)
    response = client.get(f"/api/reviews/{rev_id}/report?format=pdf", headers=cast.headers("admin"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-classification"] == "SECRET"
    assert f'filename="review-{rev_id}-full.pdf"' in response.headers["content-disposition"]
    pages = _pages(response.content)
    assert len(pages) >= 2
    for number, (top, bottom, _) in enumerate(pages, 1):
        assert (top, bottom) == (["SECRET"], ["SECRET"]), f"page {number}"
    text = _flat(" ".join(page_text for _, _, page_text in pages))
    assert "Interim review report: Owl 3.0" in text
    assert "(CUI) Selection rationale" in text and "(U) Findings by focus area" in text
    assert f"(S) {SECRET_TITLE}" in text and f"(S) It {SECRET_DETAIL}." in text
    for title in CUI_TITLES:
        assert f"(CUI) {title}" in text
    assert f"Recorded by: {cast.users['assigned']}" in text

    with runtime.database.read_session() as session:
        details = list(session.scalars(sa.text("SELECT detail FROM audit_events WHERE action = 'report.generate'")))
    parsed = [d if isinstance(d, dict) else json.loads(d) for d in details]
    assert parsed == [{"variant": "full", "format": "pdf", "classification": "SECRET"}]


def test_lab_pdf_holds_only_what_the_lab_may_see(client: TestClient, cast: Cast) -> None:
    rev_id = _review_with_findings(client, cast)
    response = client.get(f"/api/reviews/{rev_id}/report?format=pdf", headers=cast.headers("owner_lab"))
    assert response.status_code == 200, response.text
    assert response.headers["x-classification"] == "CUI"
    pages = _pages(response.content)
    assert len(pages) >= 2
    for number, (top, bottom, _) in enumerate(pages, 1):
        assert (top, bottom) == (["CUI"], ["CUI"]), f"page {number}"
    text = _flat(" ".join(page_text for _, _, page_text in pages))
    assert "(releasable to the lab)" in text
    for title in CUI_TITLES:
        assert f"(CUI) {title}" in text
    assert SECRET_TITLE not in text and SECRET_DETAIL not in text
    assert "SECRET" not in text and "(S)" not in text
    assert cast.users["assigned"] not in text and "Selection rationale" not in text


def test_lab_cannot_get_the_full_variant_as_pdf(client: TestClient, cast: Cast) -> None:
    rev_id = _review_with_findings(client, cast)
    lab = cast.headers("owner_lab")
    as_html = client.get(f"/api/reviews/{rev_id}/report?format=html&variant=full", headers=lab)
    as_pdf = client.get(f"/api/reviews/{rev_id}/report?format=pdf&variant=full", headers=lab)
    assert as_html.status_code == as_pdf.status_code == 404
    assert as_pdf.json() == as_html.json()
    other_lab = client.get(f"/api/reviews/{rev_id}/report?format=pdf", headers=cast.headers("other_lab"))
    assert other_lab.status_code == 404


def test_pdf_rendering_fetches_nothing_a_finding_points_at(
    client: TestClient, cast: Cast, request_log: tuple[str, list[str]]
) -> None:
    base, seen = request_log
    rev_id = _review_with_findings(client, cast)
    body = finding_body(title="Has a chart", description=f"See ![chart]({base}/chart.png) for the curve.")
    ok(client.post(f"/api/reviews/{rev_id}/findings", json=body, headers=cast.headers("assigned")), 201)
    response = client.get(f"/api/reviews/{rev_id}/report?format=pdf", headers=cast.headers("admin"))
    assert response.status_code == 200
    assert "(CUI) Has a chart" in _flat(" ".join(t for _, _, t in _pages(response.content)))
    assert seen == []


def test_without_weasyprint_pdf_is_a_clear_operational_error(
    client: TestClient, cast: Cast, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rev_id = _review_with_findings(client, cast)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # what `import weasyprint` sees when it is not installed
    response = client.get(f"/api/reviews/{rev_id}/report?format=pdf", headers=cast.headers("admin"))
    assert response.status_code == 503
    error = response.json()
    assert error["code"] == "pdf_unavailable"
    assert "WeasyPrint" in error["message"]
    assert "pip install 'bastion[pdf]'" in error["hint"] and "libpango-1.0-0" in error["hint"]
    assert "libpangoft2-1.0-0" in error["details"]["debian_packages"]
    assert client.get(f"/api/reviews/{rev_id}/report?format=html", headers=cast.headers("admin")).status_code == 200
    with runtime.database.read_session() as session:
        formats = list(session.scalars(sa.text("SELECT detail FROM audit_events WHERE action = 'report.generate'")))
    assert ["pdf" in str(d) for d in formats] == [False]  # the refused PDF was never generated nor audited


def test_cli_writes_the_pdf_to_a_file(
    cli_env: Runtime,
    client: TestClient,
    cast: Cast,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rev_id = _review_with_findings(client, cast)
    monkeypatch.setenv("BASTION_TOKEN", cast.tokens["owner_lab"])
    target = tmp_path / "report.pdf"
    assert main(["review", "report", rev_id, "--format", "pdf", "--output", str(target)]) == 0
    assert _in_console(f"wrote {target} (CUI)", capsys.readouterr().err)
    pages = _pages(target.read_bytes())
    assert all((top, bottom) == (["CUI"], ["CUI"]) for top, bottom, _ in pages)
    assert f"(CUI) {CUI_TITLES[0]}" in _flat(pages[0][2])

    assert main(["review", "report", rev_id, "--format", "pdf"]) == 2
    assert _in_console("--output FILE", capsys.readouterr().err)

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    assert main(["review", "report", rev_id, "--format", "pdf", "--output", str(tmp_path / "again.pdf")]) == 3
    assert _in_console("pip install 'bastion[pdf]'", capsys.readouterr().err)
    assert not (tmp_path / "again.pdf").exists()
