"""The web interface: server-rendered pages over the same services as the API, behind the same access policy.

``install(app)`` adds the pages and ``/static`` to the API's FastAPI app (``bastion.api.app.create_app``); the
pages take paths the API does not use (``/``, ``/signin``, ``/advisories``, ``/review``, ``/clearinghouse``).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from bastion.web.render import STATIC_DIR
from bastion.web.shell import install_not_found_page


def routers() -> list[APIRouter]:
    """The pages' routers: the body limit reads the SBOM and VEX upload forms' markers from them (pages are not
    in the OpenAPI document)."""
    from bastion.web.pages import clearinghouse, defense, public, review

    return [public.router, review.router, clearinghouse.router, defense.router]


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in routers():
        app.include_router(router)
    install_not_found_page(app)
