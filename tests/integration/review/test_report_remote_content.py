"""Reports fetch nothing from elsewhere, on SQLite and PostgreSQL: text from labs and users that points at a
remote image (a tracking beacon) stays text or a link in every format; the HTML carries a Content-Security-
Policy as a header and in the document; and neither a renderer that follows every URL in the HTML (WeasyPrint
with its default fetcher), nor a Markdown viewer, nor our PDF renderer asks the local server for anything."""

from __future__ import annotations

import pytest
import weasyprint
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt

from bastion.review import pdf
from bastion.review.reports import REPORT_CSP
from tests.integration.review.support import Cast, finding_body, ok, submission_body


def _review_with_beacons(client: TestClient, cast: Cast, base: str) -> str:
    lab, admin, evaluator = cast.headers("owner_lab"), cast.headers("admin"), cast.headers("assigned")
    sub = ok(
        client.post("/api/submissions", json=submission_body(model_name=f"Owl ![m]({base}/model.png)"), headers=lab),
        201,
    )
    rev_id: str = ok(client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=admin), 201)["id"]
    assign = {"user_id": cast.users["assigned"], "focus_areas": ["digital_infrastructure"]}
    ok(client.post(f"/api/reviews/{rev_id}/assignments", json=assign, headers=admin), 201)
    body = finding_body(
        title=f"Chart ![t]({base}/title.png)",
        description=(
            f'See ![chart]({base}/inline.png), ![ref][r], <img src="{base}/raw.png">, '
            f"<{base}/autolink.png> and [the data]({base}/data.csv).\n\n[r]: {base}/ref.png"
        ),
    )
    fid = ok(client.post(f"/api/reviews/{rev_id}/findings", json=body, headers=evaluator), 201)["id"]
    ok(client.patch(f"/api/findings/{fid}", json={"status": "confirmed"}, headers=evaluator))
    ok(client.post(f"/api/findings/{fid}/share", headers=admin))
    ok(client.post(f"/api/findings/{fid}/responses", json={"body": f"![ack]({base}/response.png)"}, headers=lab), 201)
    summary = {"run_id": f"![run]({base}/run.png)", "scores": {"ctf": 0.5}}
    ok(client.post(f"/api/reviews/{rev_id}/eval-results", json={"summary": summary}, headers=evaluator), 201)
    return rev_id


def test_the_html_report_loads_nothing_from_elsewhere(
    client: TestClient, cast: Cast, request_log: tuple[str, list[str]]
) -> None:
    base, seen = request_log
    rev_id = _review_with_beacons(client, cast, base)
    for role in ("admin", "owner_lab"):
        response = client.get(f"/api/reviews/{rev_id}/report?format=html", headers=cast.headers(role))
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == REPORT_CSP
        html = response.text
        assert f'<meta http-equiv="Content-Security-Policy" content="{REPORT_CSP}">' in html
        for element in ("<img", "<iframe", "<link", "srcset", "url("):
            assert element not in html.split("</style>", 1)[1], element
        assert f'<a href="{base}/data.csv" rel="noopener noreferrer">the data</a>' in html  # links stay links
        assert "Chart" in html
        weasyprint.HTML(string=html).write_pdf()  # a renderer that fetches whatever the document points at
    assert seen == []


def test_the_markdown_report_shows_images_as_text(
    client: TestClient, cast: Cast, request_log: tuple[str, list[str]]
) -> None:
    base, seen = request_log
    rev_id = _review_with_beacons(client, cast, base)
    markdown = client.get(f"/api/reviews/{rev_id}/report?format=md", headers=cast.headers("admin")).text
    viewer = MarkdownIt("commonmark")  # what a Markdown viewer does: images and raw HTML on
    rendered = viewer.render(markdown)
    assert "<img" not in rendered and f"{base}/inline.png" in rendered
    assert seen == []


@pytest.mark.parametrize(
    "element",
    [
        '<img src="{base}/img.png">',
        '<img srcset="{base}/set.png 2x">',
        '<link rel="stylesheet" href="{base}/style.css">',
        '<style>@import url("{base}/import.css"); p {{ background: url("{base}/bg.png") }}</style>',
        '<iframe src="{base}/frame.html"></iframe>',
        '<object data="{base}/object.svg"></object>',
        '<svg><image href="{base}/svg.png"/></svg>',
    ],
)
def test_the_pdf_renderer_fetches_nothing(element: str, request_log: tuple[str, list[str]]) -> None:
    base, seen = request_log
    document = f"<html><head></head><body><p>text</p>{element.format(base=base)}</body></html>"
    assert pdf.html_to_pdf(document).startswith(b"%PDF")
    assert seen == []
