"""Where advisories come from: directory trees, zip archives, ``all.zip`` URLs, single files.

A source yields ``RawFile``s (bytes plus where they came from); it never parses them. A directory may hold
records and zips side by side (``../shared/data/osv`` is five zips); both are read. The CISA KEV catalogue is
recognised by its content, not its name.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import httpx

from bastion.advisories.errors import InvalidSource, SourceUnreachable

RECORD_SUFFIXES = (".json", ".yaml", ".yml")
MAX_RECORD_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawFile:
    source: str  # the source as the user named it, or the zip inside a directory
    path: str  # the file's path inside the source
    data: bytes

    @property
    def format(self) -> str:
        return "yaml" if self.path.endswith((".yaml", ".yml")) else "json"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def is_kev_catalogue(data: bytes) -> bool:
    """The KEV catalogue is a JSON object with ``catalogVersion`` and ``vulnerabilities``."""
    head = data[:4096]
    return b'"catalogVersion"' in head and b'"vulnerabilities"' in data


def _wanted(name: str) -> bool:
    pure = PurePosixPath(name)
    return pure.suffix in RECORD_SUFFIXES and not any(part.startswith(".") for part in pure.parts)


def _read_zip(path: Path, label: str) -> Iterator[RawFile]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise InvalidSource(f"{label} is not a valid zip archive: {e}", hint="re-download the file") from e
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not _wanted(info.filename):
                continue
            if info.file_size > MAX_RECORD_BYTES:
                yield RawFile(label, info.filename, b"")  # reported as a failed record, not read into memory
                continue
            yield RawFile(label, info.filename, archive.read(info))


def _read_directory(root: Path) -> Iterator[RawFile]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in PurePosixPath(relative).parts):
            continue
        if path.suffix == ".zip":
            yield from _read_zip(path, str(path))
        elif _wanted(relative):
            yield RawFile(str(root), relative, path.read_bytes())


def download(url: str, into: Path) -> Path:
    """Download ``url`` to a file in ``into`` (streamed; never held in memory whole)."""
    target = into / (PurePosixPath(httpx.URL(url).path).name or "download")
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60.0) as response:
            response.raise_for_status()
            with target.open("wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
    except httpx.HTTPError as e:
        raise SourceUnreachable(
            f"could not download {url}: {e}",
            hint="check the network, or import a local copy instead (a directory or zip of OSV records)",
        ) from e
    return target


def read_source(source: str) -> Iterator[RawFile]:
    """Yield every candidate record file in ``source`` (a directory, zip, URL or single file)."""
    if is_url(source):
        workdir = Path(tempfile.mkdtemp(prefix="bastion-download-"))
        try:
            local = download(source, workdir)
            yield from _read_local(local, label=source)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    yield from _read_local(Path(source), label=source)


def check_source(source: str) -> None:
    """Fail early, with a clear message, on a local source that does not exist."""
    if not is_url(source) and not Path(source).exists():
        raise InvalidSource(
            f"import source {source} does not exist",
            hint="give a directory or zip of OSV JSON/YAML records, an all.zip URL, or the KEV catalogue JSON",
        )


def _read_local(path: Path, *, label: str) -> Iterator[RawFile]:
    check_source(str(path))
    if path.is_dir():
        yield from _read_directory(path)
    elif zipfile.is_zipfile(path):
        yield from _read_zip(path, label)
    elif path.suffix in RECORD_SUFFIXES:
        yield RawFile(str(path.parent), path.name, path.read_bytes())
    else:
        raise InvalidSource(
            f"import source {label} is neither a directory, a zip, nor a .json/.yaml file",
            hint="give a directory or zip of OSV JSON/YAML records, an all.zip URL, or the KEV catalogue JSON",
        )
