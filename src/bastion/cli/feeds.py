"""``bastion feeds export``: write the public feeds to a directory, for static hosting or a transfer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bastion.cli import context
from bastion.cli.exits import ExitCode

feeds = typer.Typer(help="Public feeds of what the clearinghouse published (CSAF provider, OSV exports).")


@feeds.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Where to write the feeds (created if missing).")],
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="The public origin the directory will be served at. Default: BASTION_PUBLIC_URL.",
        ),
    ] = None,
) -> int:
    """Write the CSAF provider tree (.well-known/csaf/) and the OSV exports (osv/) for static hosting."""
    container = context.container()
    origin = base_url or container.settings.public_url
    if not origin:
        raise typer.BadParameter("give --base-url, or set BASTION_PUBLIC_URL", param_hint="--base-url")
    service = container.feeds
    written = service.csaf_provider(origin.rstrip("/")).write(directory)
    export = service.osv_export()
    osv_dir = directory / "osv"
    osv_dir.mkdir(parents=True, exist_ok=True)
    (osv_dir / "ecosystems.txt").write_text(export.ecosystems_txt(), encoding="utf-8")
    (osv_dir / "all.zip").write_bytes(export.all_zip())
    for ecosystem in export.ecosystems():
        (osv_dir / ecosystem).mkdir(exist_ok=True)
        (osv_dir / ecosystem / "all.zip").write_bytes(export.all_zip(ecosystem))
        (osv_dir / ecosystem / "modified_id.csv").write_text(export.modified_id_csv(ecosystem), encoding="utf-8")
    context.console.print(
        f"wrote {len(written)} CSAF files and OSV exports for {len(export.ecosystems())} ecosystem(s) to {directory}",
        highlight=False,
    )
    return ExitCode.OK


def register(app: typer.Typer) -> None:
    app.add_typer(feeds, name="feeds")
