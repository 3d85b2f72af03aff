"""Reports generated from a review: Markdown, HTML (rendered from the Markdown with raw HTML disabled) and
PDF (that HTML through WeasyPrint, the optional ``pdf`` extra: see ``review/pdf.py``).

Every portion carries its marking; the banner (top and bottom) is the highest classification of the content
actually included. Content is filtered through the access policy for the reader, so a report never shows
more than the reader could read item by item. The ``lab`` variant is the releasable summary: only findings
shared with the lab, at or below the lab's level (the submission's classification), without evaluator names.

In the PDF the banner is repeated at the top and bottom of every page (CSS paged media in the HTML template).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import nh3
import sqlalchemy as sa
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy.orm import Session

from bastion.core.access import Action, ResourceKind, decide
from bastion.core.ids import ReviewID
from bastion.core.principal import Classification, Principal
from bastion.review import pdf
from bastion.review._base import ReviewContext, Scope, require, scope_of_review
from bastion.review.decisions import current_decision
from bastion.review.findings import finding_resource
from bastion.review.lifecycle import FocusArea, is_shared
from bastion.review.models import FindingResponseRow, FindingRow
from bastion.review.reviews import review_public
from bastion.review.scores import evidence_resource, summaries_by_review

_ENV = Environment(
    loader=PackageLoader("bastion.review", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=False, default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
)
# Raw HTML off, and images off: ``![x](https://...)`` in a finding renders as a link, never as something a
# reader's browser (or the PDF renderer) would fetch. nh3 then keeps only the elements and attributes that
# cannot load anything, whatever the Markdown produced: no img, iframe, link, style, srcset, style attributes.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable("image")
_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "em", "strong", "code", "pre", "blockquote"}
_TAGS |= {"hr", "br", "a"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# What a report may load: nothing but its own inline style. Sent as a header with HTML responses, and written
# into the document (<meta>) so a downloaded copy keeps it.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
_BANNER_COLOUR = {
    Classification.UNCLASSIFIED: "#007a33",
    Classification.CUI: "#502b85",
    Classification.CONFIDENTIAL: "#0033a0",
    Classification.SECRET: "#c8102e",
    Classification.TOP_SECRET: "#ff8c00",
}


class ReportFormat(StrEnum):
    MARKDOWN = "md"
    HTML = "html"
    PDF = "pdf"


class ReportVariant(StrEnum):
    FULL = "full"
    LAB = "lab"


@dataclass(frozen=True)
class Portion:
    heading: str
    marking: Classification
    level: int = 2
    body: str = ""
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RenderedReport:
    content: str | bytes  # bytes for PDF
    media_type: str
    filename: str
    classification: Classification


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _inert_line(text: str) -> str:
    """One line, in which Markdown can start no image and no raw HTML (escaped, so they stay visible)."""
    return _one_line(text).replace("![", "!\\[").replace("<", "\\<")


# Every heading, paragraph and item is one line: text from users (a title with newlines) cannot start a
# block of its own, so it cannot forge a heading or a portion marking in the report. Nor can it embed an
# image or HTML that a Markdown viewer would fetch from elsewhere.
_ENV.filters["one_line"] = _inert_line


def _safe_html(markdown: str) -> Markup:
    html = nh3.clean(_MARKDOWN.render(markdown), tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https"})
    return Markup(html)  # noqa: S704 - sanitised by nh3 with the allowlist above


class ReportService:
    def __init__(self, ctx: ReviewContext) -> None:
        self._ctx = ctx

    def render(
        self,
        actor: Principal,
        review_id: ReviewID,
        *,
        fmt: ReportFormat = ReportFormat.MARKDOWN,
        variant: ReportVariant | None = None,
    ) -> RenderedReport:
        if fmt is ReportFormat.PDF:
            pdf.ensure_available()  # a missing renderer fails before anything is read or audited
        with self._ctx.unit(actor, "report.generate", "review", review_id) as session:
            scope = scope_of_review(session, review_id)
            if variant is None:  # the fullest report the reader may have
                full = decide(actor, Action.READ, scope.resource(ResourceKind.REPORT)).allowed
                variant = ReportVariant.FULL if full else ReportVariant.LAB
            resource = scope.resource(ResourceKind.REPORT, shared_with_lab=variant is ReportVariant.LAB)
            require(actor, Action.READ, resource, what=f"review {review_id}")
            portions = self._portions(session, actor, scope, variant)
            banner_level = max(p.marking for p in portions)
            self._ctx.record(
                session,
                actor,
                "report.generate",
                "review",
                review_id,
                variant=variant,
                format=fmt,
                classification=banner_level.name,
            )
        assert scope.review is not None
        closed = review_public(scope.review, scope.submission, self._ctx.clock.now()).status == "closed"
        kind = "Final" if closed else "Interim"
        title = f"{kind} review report: {scope.submission.model_name} {scope.submission.model_version}"
        if variant is ReportVariant.LAB:
            title += " (releasable to the lab)"
        markdown = _ENV.get_template("report.md.j2").render(
            banner=banner_level.banner,
            title=title,
            intro_marking=Classification.UNCLASSIFIED,
            intro=f"Review {review_id}. Voluntary pre-release review; this report does not license, approve "
            "or delay any release.",
            portions=portions,
        )
        name = f"review-{review_id}-{variant.value}"
        if fmt is ReportFormat.MARKDOWN:
            return RenderedReport(markdown, "text/markdown; charset=utf-8", f"{name}.md", banner_level)
        html = _ENV.get_template("report.html.j2").render(
            title=title,
            banner=banner_level.banner,
            colour=_BANNER_COLOUR[banner_level],
            content=_safe_html(markdown),
            csp=REPORT_CSP,
            paged=fmt is ReportFormat.PDF,
        )
        if fmt is ReportFormat.PDF:
            return RenderedReport(pdf.html_to_pdf(html), "application/pdf", f"{name}.pdf", banner_level)
        return RenderedReport(html, "text/html; charset=utf-8", f"{name}.html", banner_level)

    def _portions(self, session: Session, actor: Principal, scope: Scope, variant: ReportVariant) -> list[Portion]:
        assert scope.review is not None
        submission = scope.submission
        # The lab's level is the submission's marking (a lab reader is cleared for it, or could not be here).
        lab_level = base = Classification(submission.classification)
        state = review_public(scope.review, submission, self._ctx.clock.now())
        portions = [
            Portion(
                "Overview",
                base,
                items=[
                    f"Model: {submission.model_name} {submission.model_version} by {submission.developer}",
                    f"Training compute: {submission.training_compute_flop:.3g} FLOP",
                    f"Modalities: {', '.join(submission.modalities)}",
                    f"Window: opened {state.opened_at:%Y-%m-%d %H:%M} UTC, "
                    + (
                        f"closes {state.closes_at:%Y-%m-%d %H:%M} UTC"
                        if state.close_reason is None
                        else f"closed {state.closes_at:%Y-%m-%d %H:%M} UTC ({state.close_reason.value})"
                    ),
                ],
            )
        ]
        findings = session.scalars(
            sa.select(FindingRow).where(FindingRow.review_id == scope.review.id).order_by(FindingRow.created_at)
        ).all()
        readable = [f for f in findings if decide(actor, Action.READ, finding_resource(scope, f)).allowed]
        releasable = [f for f in readable if is_shared(f.status) and f.classification <= lab_level]
        if variant is ReportVariant.FULL:
            portions += self._selection(session, actor, scope)
            portions += self._findings(session, readable, with_authors=True)
            portions += self._evaluations(session, actor, scope)
            portions.append(Portion("Releasable summary for the lab", lab_level, body=self._summary(releasable)))
        else:
            portions.append(Portion("Summary", lab_level, body=self._summary(releasable)))
            portions += self._findings(session, releasable, with_authors=False)
        return portions

    def _selection(self, session: Session, actor: Principal, scope: Scope) -> list[Portion]:
        resource = scope.resource(ResourceKind.SELECTION)
        decision = current_decision(session, scope.submission.id)
        if decision is None or not decide(actor, Action.READ_SECRET, resource).allowed:
            return []
        if decision.manual:
            body = f"Selected by manual override: {_one_line(decision.override_reason or '')}"
        else:
            fired = ", ".join(decision.fired_rules) or "none"
            body = f"Policy version {decision.policy_version}; rules that fired: {fired}."
        return [Portion("Selection rationale", resource.classification, body=body)]

    def _findings(self, session: Session, findings: list[FindingRow], *, with_authors: bool) -> list[Portion]:
        portions = [
            Portion("Findings by focus area", Classification.UNCLASSIFIED, body=_count(len(findings), "finding") + ".")
        ]
        for area in FocusArea:
            in_area = [f for f in findings if f.focus_area == area]
            if not in_area:
                continue
            portions.append(
                Portion(area.heading, Classification.UNCLASSIFIED, level=3, body=_count(len(in_area), "finding") + ".")
            )
            for f in in_area:
                responses = session.scalars(
                    sa.select(FindingResponseRow.body).where(FindingResponseRow.finding_id == f.id)
                ).all()
                items = [f"Severity: {f.severity}", f"Status: {f.status}"]
                if with_authors:
                    items.append(f"Recorded by: {f.created_by}")
                items += [f"Lab response: {_one_line(r)}" for r in responses]
                portions.append(
                    Portion(
                        f.title,
                        Classification(f.classification),
                        level=4,
                        body=_one_line(f.description),
                        items=items,
                    )
                )
        return portions

    def _evaluations(self, session: Session, actor: Principal, scope: Scope) -> list[Portion]:
        assert scope.review is not None
        portions = []
        for found in summaries_by_review(session, [scope.review.id]).get(scope.review.id, []):
            row, level = found.evidence, found.level
            if not decide(actor, Action.READ, evidence_resource(scope, row, found.finding_level)).allowed:
                continue
            summary: dict[str, Any] = row.summary or {}
            scores = summary.get("scores", {})
            items = [f"{task}: {score:g}" for task, score in sorted(scores.items())]
            label = summary.get("run_id") or summary.get("name") or row.id
            when = f"{row.created_at:%Y-%m-%d %H:%M} UTC"
            portions.append(Portion(f"Evaluation run {label}", level, level=3, body=f"Attached {when}.", items=items))
        if not portions:
            return [Portion("Evaluation results", Classification.UNCLASSIFIED, body="No evaluation results attached.")]
        return [
            Portion(
                "Evaluation results", Classification.UNCLASSIFIED, body=_count(len(portions), "run") + " attached."
            ),
            *portions,
        ]

    @staticmethod
    def _summary(findings: list[FindingRow]) -> str:
        if not findings:
            return "No findings have been shared with the lab."
        counts: dict[str, int] = {}
        for f in findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        tally = ", ".join(f"{n} {severity}" for severity, n in sorted(counts.items()))
        return f"{_count(len(findings), 'finding')} shared with the lab ({tally})."
