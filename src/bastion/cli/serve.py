"""``bastion serve`` and ``bastion up`` (import, then serve): the API in uvicorn, after checking it can listen."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from bastion.cli import context
from bastion.cli.advisories import print_report, run_import
from bastion.core.errors import InvalidInput, OperationalError


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use >1 with PostgreSQL).")] = 1,
) -> None:
    """Serve the API: OSV-compatible /v1, Bastion's /api, docs at /docs."""
    import uvicorn

    from bastion.api.app import create_app

    check_port_free(host, port)
    create_app(context.container())  # migrate first; fail here, clearly, on a bad database URL or policy file
    context.console.print(f"Bastion API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run("bastion.api.asgi:app", host=host, port=port, workers=workers, factory=False, log_level="info")


def check_port_free(host: str, port: int) -> None:
    """Fail before starting anything when the address cannot be listened on (exit 3, with a way out)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise InvalidInput(
            f"cannot listen on {host}: {e.strerror}", hint="give --host an address of this machine"
        ) from e
    family, kind, proto, _, address = addresses[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as e:
            raise OperationalError(
                f"cannot listen on {host}:{port}: {e.strerror}",
                hint=f"another program (or another bastion serve) uses port {port}: stop it, or choose another "
                "port with --port",
                details={"host": host, "port": port},
            ) from e


def up_command(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="What to import first (default: OSV's public exports, BASTION_OSV_SOURCES)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """The main job: import advisories into the database, then serve the API."""
    check_port_free(host, port)  # before a long import, not after it
    rt = context.runtime()
    chosen = list(sources or rt.settings.osv_sources)
    context.console.print(f"importing {len(chosen)} source(s) into {rt.database.dialect} database")
    print_report(run_import(chosen))
    serve_command(host=host, port=port)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.command("up")(up_command)
