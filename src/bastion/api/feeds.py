"""Public feeds of what the clearinghouse published: the CSAF provider under ``/.well-known/csaf/`` and OSV
exports under ``/feeds/osv/`` in osv.dev's layout. No authentication: nothing here was ever embargoed (the
feeds read only the published set), and aggregators and mirrors pull anonymously."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request, Response

from bastion.api.deps import ContainerDep
from bastion.clearinghouse.feeds import WELL_KNOWN
from bastion.clearinghouse.feeds.service import FeedService
from bastion.core.access import not_found
from bastion.core.ids import VulnID

router = APIRouter()
_tags: list[str | Enum] = ["feeds"]

_MEDIA_TYPES = {
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".sha256": "text/plain; charset=utf-8",
    ".sha512": "text/plain; charset=utf-8",
    ".zip": "application/zip",
}


def _file(*media_types: str) -> dict[str, Any]:
    """Route options documenting a file answer (not JSON unless said): its media types."""
    return {
        "response_class": Response,
        "responses": {200: {"description": "The file", "content": {m: {} for m in media_types}}},
    }


_CSAF_TYPES = (
    *sorted(set(_MEDIA_TYPES.values()) - {"application/zip"}),
    "application/pgp-keys",
    "application/pgp-signature",
)


def _media_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix
    if suffix == ".asc":
        return "application/pgp-keys" if path.startswith("openpgp/") else "application/pgp-signature"
    return _MEDIA_TYPES.get(suffix, "application/octet-stream")


def _feeds(container: ContainerDep) -> FeedService:
    return container.feeds


def _base_url(request: Request, container: ContainerDep) -> str:
    return (container.settings.public_url or str(request.base_url)).rstrip("/")


@router.get(
    f"/{WELL_KNOWN}/{{path:path}}",
    tags=_tags,
    summary="The CSAF trusted provider (CSAF 2.0 section 7)",
    **_file(*_CSAF_TYPES),
)
def csaf_file(path: str, request: Request, container: ContainerDep) -> Response:
    provider = _feeds(container).csaf_provider(_base_url(request, container))
    body = provider.files.get(path)
    if body is None:
        raise not_found(f"CSAF file {path}")
    return Response(body, media_type=_media_type(path))


@router.get(
    "/feeds/osv/ecosystems.txt",
    tags=_tags,
    summary="Ecosystems with published OSV records",
    **_file(_MEDIA_TYPES[".txt"]),
)
def osv_ecosystems(container: ContainerDep) -> Response:
    return Response(_feeds(container).osv_export().ecosystems_txt(), media_type=_MEDIA_TYPES[".txt"])


@router.get(
    "/feeds/osv/all.zip",
    tags=_tags,
    summary="Every published OSV record, zipped (osv.dev's layout)",
    **_file(_MEDIA_TYPES[".zip"]),
)
def osv_all(container: ContainerDep) -> Response:
    return Response(_feeds(container).osv_export().all_zip(), media_type=_MEDIA_TYPES[".zip"])


@router.get(
    "/feeds/osv/{ecosystem}/all.zip",
    tags=_tags,
    summary="One ecosystem's published OSV records, zipped",
    **_file(_MEDIA_TYPES[".zip"]),
)
def osv_ecosystem_zip(ecosystem: str, container: ContainerDep) -> Response:
    export = _feeds(container).osv_export()
    if ecosystem not in export.ecosystems():
        raise not_found(f"OSV export for ecosystem {ecosystem}")
    return Response(export.all_zip(ecosystem), media_type=_MEDIA_TYPES[".zip"])


@router.get(
    "/feeds/osv/{ecosystem}/modified_id.csv",
    tags=_tags,
    summary="Modification times, newest first",
    **_file(_MEDIA_TYPES[".csv"]),
)
def osv_modified(ecosystem: str, container: ContainerDep) -> Response:
    export = _feeds(container).osv_export()
    if ecosystem not in export.ecosystems():
        raise not_found(f"OSV export for ecosystem {ecosystem}")
    return Response(export.modified_id_csv(ecosystem), media_type=_MEDIA_TYPES[".csv"])


@router.get(
    "/feeds/osv/{ecosystem}/{record_id}.json",
    tags=_tags,
    summary="One published OSV record",
    **_file(_MEDIA_TYPES[".json"]),
)
def osv_record_file(ecosystem: str, record_id: str, container: ContainerDep) -> Response:
    record = _feeds(container).osv_export().record(ecosystem, VulnID(record_id))
    if record is None:
        raise not_found(f"OSV record {record_id} in {ecosystem}")
    return Response(json.dumps(record, indent=2, sort_keys=True), media_type=_MEDIA_TYPES[".json"])
