"""Rendering a page: one Jinja2 environment (autoescaped, strict), the page's classification banner (the highest
marking of what the page shows), the visitor, and the headers every page carries.

A route passes the markings of everything it shows (``markings=``); the banner at the top and the bottom of
the page names the highest, and a page that shows nothing marked says UNCLASSIFIED.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bastion.core.principal import Classification
from bastion.web.visitor import CSRF_FIELD, Visitor, container_of

STATIC_DIR = Path(__file__).parent / "static"
# Pages load only our own scripts, styles and images; nothing inline but SVG attributes; forms post to us.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def marking(value: Classification | str | int | None) -> Classification:
    """A marking as the services give it (an enum, or a name in the clearinghouse's records)."""
    if value is None:
        return Classification.UNCLASSIFIED
    return Classification.parse(value)


def banner_class(level: Classification) -> str:
    return "banner-" + level.name.lower().replace("_", "-")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "—"


def _label(value: object) -> str:
    text = str(getattr(value, "value", value))
    return text.replace("_", " ")


_ENV = Environment(
    loader=PackageLoader("bastion.web", "templates"),
    autoescape=select_autoescape(["html", "svg"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(when=_when, day=_day, label=_label, marking=marking, banner_class=banner_class)


def render(
    request: Request,
    template: str,
    who: Visitor,
    *,
    markings: Iterable[Classification | str | None] = (),
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    levels = [marking(m) for m in markings]
    level = max(levels, default=Classification.UNCLASSIFIED)
    now = container_of(request).runtime.clock.now()
    html = _ENV.get_template(template).render(
        request_path=request.url.path,
        who=who,
        csrf_field=CSRF_FIELD,
        csrf_token=who.csrf_token,
        banner=level,
        now=now,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
