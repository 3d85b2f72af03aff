"""Reproducers, targets and patches as stored: the files go to the blob store, the rows keep a manifest
(names, sizes, digests) that the sandbox run reads back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.clearinghouse._base import BlobStore, Limits
from bastion.clearinghouse.errors import invalid
from bastion.clearinghouse.schemas import ExpectedSignal, FileIn, ReproducerIn, TargetIn, TargetKind


def _manifest(blobs: BlobStore, files: list[FileIn]) -> list[dict[str, Any]]:
    return [{"name": f.name, "sha256": blobs.put(f.content), "size": len(f.content)} for f in files]


def _size(files: list[FileIn]) -> int:
    return sum(len(f.content) for f in files)


def check_sizes(reproducer: ReproducerIn | None, targets: list[TargetIn | None], limits: Limits) -> None:
    if reproducer is not None and _size(reproducer.files) > limits.max_reproducer_bytes:
        raise invalid(
            f"the reproducer's files are larger than {limits.max_reproducer_bytes} bytes",
            hint="keep the reproducer minimal; upload the target separately",
            field="reproducer.files",
        )
    for target in targets:
        if target is None:
            continue
        size = _size(target.files) + (len(target.archive.content) if target.archive else 0)
        if size > limits.max_target_bytes:
            raise invalid(
                f"the target is larger than {limits.max_target_bytes} bytes",
                hint="upload the source of the affected component only, or name it by purl",
                field="target",
            )


def store_reproducer(blobs: BlobStore, reproducer: ReproducerIn) -> dict[str, Any]:
    return {
        "files": _manifest(blobs, reproducer.files),
        "command": list(reproducer.command),
        "signal": reproducer.signal.model_dump(mode="json"),
        "timeout_seconds": reproducer.timeout_seconds,
    }


def store_target(blobs: BlobStore, target: TargetIn) -> dict[str, Any]:
    return {
        "kind": target.kind.value,
        "archive": _manifest(blobs, [target.archive])[0] if target.archive else None,
        "files": _manifest(blobs, target.files),
        "purl": target.purl,
        "build": target.build,
        "test": target.test,
    }


@dataclass(frozen=True, slots=True)
class Reproducer:
    files: tuple[tuple[str, bytes], ...]
    command: tuple[str, ...]
    signal: ExpectedSignal
    timeout_seconds: int


@dataclass(frozen=True, slots=True)
class Target:
    kind: TargetKind
    files: tuple[tuple[str, bytes], ...]  # for an archive: the one archive file
    build: tuple[str, ...] | None
    test: tuple[str, ...] | None
    purl: str | None = None
    unavailable: str | None = None  # why a purl target has no files (the fetch's error)


def _load(blobs: BlobStore, manifest: list[dict[str, Any]]) -> tuple[tuple[str, bytes], ...]:
    return tuple((str(m["name"]), blobs.get(str(m["sha256"]))) for m in manifest)


def load_reproducer(blobs: BlobStore, stored: dict[str, Any]) -> Reproducer:
    return Reproducer(
        files=_load(blobs, stored.get("files") or []),
        command=tuple(stored["command"]),
        signal=ExpectedSignal.model_validate(stored["signal"]),
        timeout_seconds=int(stored.get("timeout_seconds") or 60),
    )


def load_target(
    blobs: BlobStore, stored: dict[str, Any], fetched: tuple[str, bytes] | None = None, unavailable: str | None = None
) -> Target:
    kind = TargetKind(stored["kind"])
    if kind is TargetKind.ARCHIVE:
        files = _load(blobs, [stored["archive"]])
    elif kind is TargetKind.PURL:
        files = (fetched,) if fetched is not None else ()
    else:
        files = _load(blobs, stored.get("files") or [])
    build, test = stored.get("build"), stored.get("test")
    return Target(
        kind, files, tuple(build) if build else None, tuple(test) if test else None, stored.get("purl"), unavailable
    )
