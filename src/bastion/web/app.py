"""The web interface: server-rendered pages over the same services as the API, behind the same access policy.

``install(app)`` adds the pages and ``/static`` to the API's FastAPI app (``bastion.api.app.create_app``); the
pages take paths the API does not use (``/``, ``/signin``, ``/advisories``, ``/review``, ``/clearinghouse``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bastion.web.render import STATIC_DIR
from bastion.web.shell import install_not_found_page


def install(app: FastAPI) -> None:
    from bastion.web.pages import clearinghouse, defense, public, review

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(public.router)
    app.include_router(review.router)
    app.include_router(clearinghouse.router)
    app.include_router(defense.router)
    install_not_found_page(app)
