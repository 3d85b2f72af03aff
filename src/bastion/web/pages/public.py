"""Pages for everyone: home, sign-in and sign-out, advisory search and an advisory by id or alias (KEV badge).

Advisories are public: they are read through the same use cases as ``/v1`` (``OsvQueries``,
``AdvisoryService``), so the page and the API answer the same query the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response

from bastion.advisories.ecosystems import KNOWN_ECOSYSTEMS
from bastion.advisories.errors import AdvisoryNotFound
from bastion.advisories.lookup import QueryRequest
from bastion.advisories.service import KEV_KEY
from bastion.api import csrf
from bastion.api.auth import clear_session_cookie, set_session_cookie
from bastion.core.errors import NotFound
from bastion.core.ids import AdvisoryID
from bastion.core.principal import Role
from bastion.identity.credentials import SESSION_TTL
from bastion.identity.errors import InvalidCredentials, LoginThrottled
from bastion.web.render import render
from bastion.web.shell import error_page, redirect, safe_next, text, web_router
from bastion.web.visitor import (
    LOGIN_CSRF_COOKIE,
    FormDep,
    VisitorDep,
    checked,
    container_of,
    new_login_token,
)

router = web_router()
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[A-Za-z0-9._:-]+$")
MAX_SHOWN = 200


@dataclass(frozen=True, slots=True)
class WorkLink:
    href: str
    title: str
    text: str


def _work(who: VisitorDep) -> list[WorkLink]:
    links = []
    if who.has(Role.LAB_SUBMITTER):
        links.append(WorkLink("/review/submissions/new", "Submit a model", "Start a pre-release review submission."))
    if who.has(Role.LAB_SUBMITTER, Role.LAB_VIEWER, Role.AGENCY_REVIEWER, Role.PROGRAMME_ADMIN, Role.EVALUATOR):
        links.append(WorkLink("/review", "Review programme", "Submissions, selection, reviews and findings."))
    if who.has(Role.REPORTER):
        links.append(WorkLink("/clearinghouse/reports/new", "Report a vulnerability", "With a reproducer."))
    if who.has(Role.REPORTER, Role.CLEARINGHOUSE_ANALYST, Role.VENDOR_CONTACT):
        links.append(WorkLink("/clearinghouse", "Clearinghouse", "Reports, cases, embargoes and fixes."))
    return links


@router.get("/")
def home(request: Request, who: VisitorDep) -> Response:
    return render(
        request, "home.html", who, work=_work(who), ecosystems=KNOWN_ECOSYSTEMS, q="", ecosystem="", version=""
    )


# --- signing in and out -----------------------------------------------------------------------------------


def _signin_page(
    request: Request, who: VisitorDep, *, next_path: str, email: str = "", error: Any = None, status: int = 200
) -> Response:
    token = new_login_token()
    response = render(
        request, "signin.html", who, next=next_path, email=email, error=error, login_token=token, status=status
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/signin",
    )
    return response


@router.get("/signin")
def signin_form(request: Request, who: VisitorDep, next: str = "/") -> Response:  # noqa: A002 - the query's name
    return _signin_page(request, who, next_path=safe_next(next))


@router.post("/signin")
def signin(request: Request, who: VisitorDep, form: FormDep) -> Response:
    next_path = safe_next(text(form, "next"))
    email = text(form, "email")
    password = form.get("password")
    csrf.check_origin(request)  # login CSRF: another site cannot sign this browser in ...
    presented, expected = text(form, "login_token"), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not presented or not expected or presented != expected:  # ... nor post this form without loading it
        raise csrf.CsrfRefused(
            "the sign-in form expired or did not come from this site", hint="load the sign-in page again"
        )
    try:
        issued = container_of(request).identity.login(email, password if isinstance(password, str) else "")
    except (InvalidCredentials, LoginThrottled) as error:
        status = 429 if isinstance(error, LoginThrottled) else 401
        return _signin_page(request, who, next_path=next_path, email=email, error=error, status=status)
    response = redirect(next_path)
    set_session_cookie(request, response, issued, int(SESSION_TTL.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(request: Request, who: VisitorDep, form: FormDep) -> Response:
    if not who.signed_in:
        return redirect("/")
    checked(request, who, form)
    container_of(request).identity.logout(who.session_token or "")
    response = redirect("/")
    clear_session_cookie(response)
    return response


# --- advisories -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    summary: str
    aliases: list[str]
    known_exploited: bool
    modified: str


def _hit(document: dict[str, Any]) -> Hit:
    return Hit(
        id=str(document.get("id", "")),
        summary=str(document.get("summary") or document.get("details") or "")[:300],
        aliases=[str(a) for a in document.get("aliases") or []],
        known_exploited=bool((document.get("database_specific") or {}).get(KEV_KEY)),
        modified=str(document.get("modified", ""))[:10],
    )


def _published_osv_id(request: Request, advisory_id: str) -> str | None:
    """The OSV id of a clearinghouse publication (``BASTION-2026-0001`` is served as ``x_BASTION-2026-0001``)."""
    try:
        publication = container_of(request).clearinghouse.publications.get(AdvisoryID(advisory_id))
    except NotFound:
        return None
    return str(publication.osv["id"]) if publication.osv else None


@router.get("/advisories")
def search(request: Request, who: VisitorDep, q: str = "", ecosystem: str = "", version: str = "") -> Response:
    q, ecosystem, version = q.strip(), ecosystem.strip(), version.strip()
    container = container_of(request)
    hits: list[Hit] = []
    problem: dict[str, str] | None = None
    searched = bool(q)
    if q and not ecosystem and not q.startswith("pkg:") and _ID.match(q):
        try:
            container.advisories.get(q)
            return redirect(f"/advisories/{quote(q)}")
        except AdvisoryNotFound:
            published = _published_osv_id(request, q)
            if published is not None:
                return redirect(f"/advisories/{quote(published)}")
    if q:
        if q.startswith("pkg:"):
            query = QueryRequest(purl=q, version=version or None)
        elif not ecosystem:
            query = None
            problem = {
                "message": f"no advisory has the id or alias {q}",
                "hint": "to search by package, choose its ecosystem (or give a purl such as pkg:pypi/jinja2)",
            }
        else:
            query = QueryRequest(name=q, ecosystem=ecosystem, version=version or None)
        if query is not None:
            answer = container.osv_queries.answer([query], records=True, paged=False).answers[0]
            if answer.problem is not None:
                problem = {"message": answer.problem.message, "hint": answer.problem.hint or ""}
            hits = [_hit(record.document) for record in answer.records[:MAX_SHOWN]]
            total = len(answer.hits)
        else:
            total = 0
    else:
        total = 0
    return render(
        request,
        "advisories/search.html",
        who,
        q=q,
        ecosystem=ecosystem,
        version=version,
        ecosystems=KNOWN_ECOSYSTEMS,
        hits=hits,
        total=total,
        problem=problem,
        searched=searched,
        status=400 if problem and searched and not hits else 200,
    )


@router.get("/advisories/{vuln_id}")
def advisory(request: Request, who: VisitorDep, vuln_id: str) -> Response:
    container = container_of(request)
    try:
        found = container.advisories.get(vuln_id)
    except AdvisoryNotFound as error:
        published = _published_osv_id(request, vuln_id)
        if published is not None and published != vuln_id:
            return redirect(f"/advisories/{quote(published)}")
        return error_page(request, error, who)
    document = found.document
    kev = (document.get("database_specific") or {}).get(KEV_KEY) or []
    affected = []
    for entry in document.get("affected") or []:
        package = entry.get("package") or {}
        fixed = [
            str(event["fixed"])
            for rng in entry.get("ranges") or []
            for event in rng.get("events") or []
            if "fixed" in event
        ]
        affected.append(
            {
                "ecosystem": package.get("ecosystem", ""),
                "name": package.get("name", ""),
                "purl": package.get("purl", ""),
                "fixed": fixed,
                "versions": len(entry.get("versions") or []),
            }
        )
    references = [
        r for r in document.get("references") or [] if str(r.get("url", "")).startswith(("http://", "https://"))
    ]
    return render(
        request,
        "advisories/advisory.html",
        who,
        doc=document,
        asked=vuln_id,
        group=found.group,
        kev=kev,
        affected=affected,
        references=references,
    )
