"""The FastAPI application: one app, one router module per slice, one error mapping."""

from __future__ import annotations

from fastapi import FastAPI

from bastion import __version__
from bastion.api import limits, openapi
from bastion.api.errors import install_error_handlers
from bastion.api.inputs import RequestLineGuard
from bastion.api.limits import BodyLimit
from bastion.container import Container
from bastion.core.files import secure_tree, sweep_parts
from bastion.runtime import Runtime


def create_app(runtime: Runtime | Container) -> FastAPI:
    """The app over one composition root (a bare ``Runtime`` gets its own). The services it serves are built
    here, so bad settings or a bad policy file fail at start, not in a request."""
    from bastion import web
    from bastion.api import clearinghouse, defense, defense_alerts, evals, feeds, identity, osv, review

    app = FastAPI(
        title="Bastion",
        version=__version__,
        description=(
            "Bastion runs the voluntary pre-release security review of frontier AI models and the AI "
            "cybersecurity clearinghouse. `/v1/*` is compatible with the OSV API (osv.dev), so osv-scanner, "
            "pip-audit and Renovate can query it; `/api/*` is Bastion's own API.\n\n"
            "Authenticate with `Authorization: Bearer <token>`, or with the session cookie set by "
            "`POST /api/auth/login`; a change (POST, PATCH, DELETE) made with the cookie must also send the "
            "`X-CSRF-Token` header, whose value sign-in returns (header and `bastion_csrf` cookie). Request "
            "bodies are limited in size (413); errors share one JSON shape (`Error`)."
        ),
    )
    container = runtime if isinstance(runtime, Container) else Container(runtime)
    runtime = container.runtime
    app.state.container = container
    install_error_handlers(app)
    app.state.osv = osv.OsvServices.for_container(container)
    _ = container.identity, container.review, container.clearinghouse
    app.include_router(osv.router)
    app.include_router(identity.router)
    app.include_router(review.router)
    app.include_router(evals.router)
    app.include_router(feeds.router)
    app.include_router(clearinghouse.router)
    app.include_router(defense.router)
    app.include_router(defense_alerts.router)
    web.install(app)  # the pages, at paths the API does not use; not in the OpenAPI document
    settings = runtime.settings
    openapi.install(app)  # before anything reads the document
    limited = limits.route_limits(app, settings, web.routers())
    app.add_middleware(BodyLimit, default=settings.max_json_body_bytes, routes=limited)
    app.add_middleware(RequestLineGuard)  # outermost: a NUL in the path or query is refused before anything
    # On start: what a killed upload left behind goes, and the data directory is the server's alone.
    sweep_parts(settings.data_dir / "evidence")
    secure_tree(settings.data_dir)

    @app.get("/healthz", tags=["meta"], summary="Liveness and database check")
    def healthz() -> dict[str, str]:
        from sqlalchemy import text

        with runtime.database.read_session() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "database": runtime.database.dialect}

    return app
