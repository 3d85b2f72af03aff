"""What intake accepts, whatever the source (a person, an AI tool, a review finding, SARIF, OSV): a report draft
with its product, flaw, optional reproducer and optional target. Validated on construction; file contents
travel base64-encoded in JSON (the CLI reads them from disk)."""

from __future__ import annotations

import base64
import binascii
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from bastion.core.fields import RequestBody

_CWE = re.compile(r"^CWE-\d{1,5}$")
_ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$")
_FILE_NAME = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[\w.@+/-]{1,200}$")


def _decode(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise ValueError("file content is a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"file content is not valid base64: {e}") from None


Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_decode),
    PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str),
]


class _Body(RequestBody):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileIn(_Body):
    """A file for the sandbox: a relative path (no ``..``) and its content."""

    name: str = Field(description="Relative path inside the sandbox's work directory, e.g. 'poc/input.bin'.")
    content: Base64Bytes = Field(description="The file's bytes, base64-encoded.")

    @field_validator("name")
    @classmethod
    def _relative(cls, value: str) -> str:
        if not _FILE_NAME.match(value):
            raise ValueError(f"file name {value!r} must be a relative path of letters, digits, ._-+@/ without '..'")
        return value


class SignalKind(StrEnum):
    CRASH = "crash"  # killed by SIGSEGV, SIGABRT, SIGBUS, SIGFPE or SIGILL, or any sanitizer report
    SANITIZER = "sanitizer"  # an AddressSanitizer/UBSan/MSan/LeakSanitizer report (value: e.g. heap-buffer-overflow)
    OUTPUT_MARKER = "output_marker"  # this text appears in stdout or stderr
    EXIT_CODE = "exit_code"  # the command exits with this code


class ExpectedSignal(_Body):
    kind: SignalKind
    value: str | None = Field(
        default=None,
        max_length=500,
        description="The marker text (output_marker), the exit code (exit_code), or the sanitizer's bug type "
        "(sanitizer, optional).",
    )

    @model_validator(mode="after")
    def _value_fits(self) -> ExpectedSignal:
        if self.kind is SignalKind.OUTPUT_MARKER and not self.value:
            raise ValueError("an output_marker signal needs the marker text as its value")
        if self.kind is SignalKind.EXIT_CODE and (self.value is None or not re.fullmatch(r"-?\d{1,3}", self.value)):
            raise ValueError("an exit_code signal needs the exit code (an integer) as its value")
        return self


class ReproducerIn(_Body):
    """How to trigger the flaw: files, one command, and the signal that shows it happened."""

    files: list[FileIn] = Field(default_factory=list, max_length=50)
    command: list[str] = Field(min_length=1, max_length=100, description="argv, run in /workspace.")
    signal: ExpectedSignal
    timeout_seconds: int = Field(default=60, ge=1, le=600)

    @field_validator("command")
    @classmethod
    def _argv(cls, value: list[str]) -> list[str]:
        if any(not arg or "\0" in arg for arg in value):
            raise ValueError("command arguments must be non-empty strings without NUL bytes")
        return value


class TargetKind(StrEnum):
    ARCHIVE = "archive"  # an uploaded source archive or built artifact (.tar.gz, .tgz, .tar, .zip)
    FILES = "files"  # uploaded files, laid out as given
    PURL = "purl"  # a package fetched by purl (pkg:pypi/name@version) outside the sandbox


class TargetIn(_Body):
    """What the reproducer runs against, unpacked in /workspace/target. ``build`` runs there first; ``test`` is
    the target's own test command (patch candidates must keep it passing)."""

    kind: TargetKind
    archive: FileIn | None = None
    files: list[FileIn] = Field(default_factory=list, max_length=200)
    purl: str | None = Field(default=None, max_length=500, description="With a version: pkg:pypi/name@1.2.3")
    build: list[str] | None = Field(default=None, max_length=100, description="argv, run in /workspace/target.")
    test: list[str] | None = Field(default=None, max_length=100, description="argv, run in /workspace/target.")

    @model_validator(mode="after")
    def _content_fits(self) -> TargetIn:
        if self.kind is TargetKind.ARCHIVE and self.archive is None:
            raise ValueError("an archive target needs the archive")
        if self.kind is TargetKind.FILES and not self.files:
            raise ValueError("a files target needs at least one file")
        if self.kind is TargetKind.PURL and (not self.purl or "@" not in self.purl):
            raise ValueError("a purl target needs a purl with a version, e.g. pkg:pypi/name@1.2.3")
        return self


class LocationIn(_Body):
    file: str | None = Field(default=None, max_length=500)
    function: str | None = Field(default=None, max_length=300)
    line: int | None = Field(default=None, ge=1)
    frames: list[str] = Field(default_factory=list, max_length=10, description="Crash state, innermost first.")


class AffectedRange(_Body):
    introduced: str = Field(default="0", max_length=100)
    fixed: str | None = Field(default=None, max_length=100)
    last_affected: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_end(self) -> AffectedRange:
        if self.fixed is not None and self.last_affected is not None:
            raise ValueError("give either fixed or last_affected, not both")
        return self


class ReportDraft(_Body):
    """A vulnerability report as submitted. ``purl`` (no version) and/or ``cpe`` name the product."""

    title: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=10, max_length=50_000)
    purl: str | None = Field(default=None, max_length=500, examples=["pkg:pypi/jinja2"])
    cpe: str | None = Field(default=None, max_length=500)
    affected: AffectedRange = Field(default_factory=AffectedRange)
    cwe: str | None = Field(default=None, examples=["CWE-787"])
    cvss_vector: str | None = Field(
        default=None, max_length=200, examples=["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"]
    )
    aliases: list[str] = Field(default_factory=list, max_length=20, description="CVE, GHSA or OSV ids, if known.")
    location: LocationIn | None = None
    reproducer: ReproducerIn | None = None
    target: TargetIn | None = None
    fixed_target: TargetIn | None = Field(
        default=None, description="The declared fixed version, to check the reproducer no longer triggers there."
    )
    references: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("cwe")
    @classmethod
    def _cwe(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().upper()
        if value.isdigit():
            value = f"CWE-{value}"
        if not _CWE.match(value):
            raise ValueError(f"{value!r} is not a CWE id such as CWE-787")
        return value

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: list[str]) -> list[str]:
        for alias in value:
            if not _ALIAS.match(alias):
                raise ValueError(f"{alias!r} is not an advisory id such as CVE-2024-1234 or GHSA-xxxx-xxxx-xxxx")
        return sorted({a.upper() if a.upper().startswith("CVE-") else a for a in value})

    @model_validator(mode="after")
    def _product(self) -> ReportDraft:
        if not self.purl and not self.cpe:
            raise ValueError("name the product by purl (pkg:pypi/name) and/or CPE (cpe:2.3:a:vendor:product:...)")
        if self.fixed_target is not None and self.reproducer is None:
            raise ValueError("a fixed_target is only useful with a reproducer")
        return self


class ReportSubmission(_Body):
    """One report, with the client's idempotency key (the same key returns the first acknowledgement)."""

    client_key: str = Field(min_length=1, max_length=200, description="Your unique key for this submission.")
    report: ReportDraft
