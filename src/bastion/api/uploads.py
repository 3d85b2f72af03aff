"""Evidence uploads, streamed: a multipart body goes straight from the socket to a locked ``.part`` file in
the data directory, hashed as it is written, off the event loop, and only after the caller is authenticated.

FastAPI's own form parsing would read the body before any dependency runs (so before authentication) and
spool files beyond 1 MiB to the system's temporary directory; the route therefore takes the raw request, and
this module parses it with python-multipart's streaming parser. Nothing is written outside the data
directory, nothing is held whole in memory, and a crash leaves only a ``.part`` file that the next start
sweeps away (``bastion.core.files``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from bastion.core.errors import InvalidInput, PayloadTooLarge
from bastion.core.files import staged_file
from bastion.review import StagedFile

FILE_FIELD = "file"
TEXT_FIELDS = ("classification", "finding_id")
TEXT_FIELD_LIMIT = 1024
BATCH = 1024 * 1024  # body bytes handed to the writer thread at a time

UPLOAD_SCHEMA: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FILE_FIELD],
                "properties": {
                    FILE_FIELD: {"type": "string", "format": "binary", "description": "The evidence file"},
                    "classification": {"type": "string", "default": "CUI", "description": "e.g. CUI, SECRET"},
                    "finding_id": {"type": "string", "description": "Attach it to this finding of the review"},
                },
            }
        }
    },
}


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(
        message, code="invalid_upload", hint=f"send multipart/form-data with one `{FILE_FIELD}` part (curl -F)"
    )


@dataclass
class Upload:
    """A received upload: the file (staged, not yet in the store) and the small text fields."""

    staged: StagedFile
    filename: str
    content_type: str
    fields: dict[str, str]


@dataclass
class _Form:
    """Callbacks for the streaming parser: the file part into the staged file, text parts into small buffers."""

    handle: BinaryIO
    max_file: int
    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    filename: str | None = None
    content_type: str = "application/octet-stream"
    texts: dict[str, bytearray] = field(default_factory=dict)
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _name: bytearray = field(default_factory=bytearray)
    _value: bytearray = field(default_factory=bytearray)
    _target: bytearray | None = None
    _in_file: bool = False

    def on_part_begin(self) -> None:
        self._headers, self._target, self._in_file = {}, None, False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._name).lower()] = bytes(self._value)
        self._name, self._value = bytearray(), bytearray()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == FILE_FIELD and b"filename" in options:
            if self.filename is not None:
                raise _invalid(f"give one `{FILE_FIELD}` part, not several")
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self.content_type = self._headers.get(b"content-type", b"application/octet-stream").decode("latin-1")
            self._in_file = True
        elif name == FILE_FIELD:
            raise _invalid(f"the `{FILE_FIELD}` part needs a filename (curl -F 'file=@PATH' sends one)")
        elif name in TEXT_FIELDS and name not in self.texts:
            self._target = self.texts[name] = bytearray()
        else:
            raise _invalid(f"unexpected form part {name!r}; the fields are {FILE_FIELD}, {', '.join(TEXT_FIELDS)}")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._in_file:
            self.size += len(chunk)
            if self.size > self.max_file:
                raise PayloadTooLarge(
                    f"the evidence file is larger than the evidence limit of {self.max_file} bytes",
                    hint="compress it or split it (the limit is BASTION_MAX_EVIDENCE_BYTES)",
                    details={"limit_bytes": self.max_file},
                )
            self.digest.update(chunk)
            self.handle.write(chunk)
        elif self._target is not None:
            self._target += chunk
            if len(self._target) > TEXT_FIELD_LIMIT:
                raise _invalid(f"a text field is longer than {TEXT_FIELD_LIMIT} bytes")

    def callbacks(self) -> Any:
        names = ("part_begin", "header_field", "header_value", "header_end", "headers_finished", "part_data")
        return {f"on_{name}": getattr(self, f"on_{name}") for name in names}

    def text(self, name: str) -> str | None:
        raw = self.texts.get(name)
        if raw is None:
            return None
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError as e:
            raise _invalid(f"form field {name} is not UTF-8 text") from e
        if "\x00" in value:
            raise _invalid(f"form field {name} contains a NUL character")
        return value


def _boundary(request: Request) -> bytes:
    kind, options = parse_options_header(request.headers.get("content-type"))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise _invalid("the request body must be multipart/form-data (with a boundary)")
    return options[b"boundary"]


def _write(parser: MultipartParser, data: bytes) -> None:
    try:
        parser.write(data)
    except FormParserError as e:
        raise _invalid(f"the multipart body is malformed: {e}") from e


def _finish(parser: MultipartParser, form: _Form) -> None:
    try:
        parser.finalize()
    except FormParserError as e:
        raise _invalid(f"the multipart body is malformed: {e}") from e
    form.handle.flush()
    os.fsync(form.handle.fileno())


@asynccontextmanager
async def streamed_upload(request: Request, staging: Path, max_file: int) -> AsyncIterator[Upload]:
    """Receive the body into a staged file; inside the block, hand ``Upload.staged`` to the evidence service
    (which moves it into place). The staged file stays locked until the block ends, then anything left of it
    is removed."""
    boundary = _boundary(request)
    staging_file = staged_file(staging)
    part, handle = await run_in_threadpool(staging_file.__enter__)
    try:
        form = _Form(handle, max_file)
        parser = MultipartParser(boundary, form.callbacks())
        pending = bytearray()
        async for chunk in request.stream():
            pending += chunk
            if len(pending) >= BATCH:
                await run_in_threadpool(_write, parser, bytes(pending))
                pending.clear()
        await run_in_threadpool(_write, parser, bytes(pending))
        await run_in_threadpool(_finish, parser, form)
        if form.filename is None:
            raise _invalid(f"the form has no `{FILE_FIELD}` part")
        fields = {name: value for name in TEXT_FIELDS if (value := form.text(name))}
        yield Upload(StagedFile(part, form.size, form.digest.hexdigest()), form.filename, form.content_type, fields)
    finally:
        await run_in_threadpool(staging_file.__exit__, None, None, None)
