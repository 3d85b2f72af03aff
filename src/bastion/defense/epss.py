"""EPSS scores from a local copy of FIRST's daily CSV (``epss_scores-YYYY-MM-DD.csv[.gz]``).

The format: a comment line ``#model_version:v2023.03.01,score_date:2023-03-22T00:00:00+0000``, a header
``cve,epss,percentile``, then one line per CVE. A file that is not this is refused as a whole.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from datetime import date

from bastion.defense.errors import InvalidEpss

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_HINT = "use FIRST's daily EPSS CSV (epss_scores-YYYY-MM-DD.csv.gz from https://www.first.org/epss/data_stats)"


@dataclass(frozen=True, slots=True)
class EpssScore:
    cve: str
    epss: float
    percentile: float


@dataclass(frozen=True, slots=True)
class EpssFile:
    model_version: str
    score_date: date | None
    scores: tuple[EpssScore, ...]


def looks_like_epss(data: bytes) -> bool:
    """Whether ``data`` (possibly gzipped) starts like FIRST's EPSS CSV."""
    head = _text(data, limit=256)
    return head is not None and head.startswith(("#model_version:", "cve,epss,percentile"))


def _text(data: bytes, *, limit: int | None = None) -> str | None:
    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        return raw[:limit].decode("utf-8-sig") if limit else raw.decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError):
        return None


def parse_epss(data: bytes) -> EpssFile:
    text = _text(data)
    if text is None:
        raise InvalidEpss("the EPSS file is neither UTF-8 text nor gzipped text", hint=_HINT)
    lines = text.splitlines()
    model, score_date = "unknown", None
    if lines and lines[0].startswith("#"):
        meta = dict(part.split(":", 1) for part in lines[0].lstrip("#").split(",") if ":" in part)
        model = meta.get("model_version", "unknown").strip()
        try:
            score_date = date.fromisoformat(meta.get("score_date", "")[:10]) if meta.get("score_date") else None
        except ValueError as e:
            raise InvalidEpss(f"the score date {meta.get('score_date')!r} is not a date", hint=_HINT) from e
        lines = lines[1:]
    if not lines or [c.strip() for c in lines[0].split(",")] != ["cve", "epss", "percentile"]:
        raise InvalidEpss("the EPSS file has no 'cve,epss,percentile' header", hint=_HINT)
    scores = []
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(lines[1:]))), start=3):
        if not row:
            continue
        try:
            cve, epss, percentile = row[0].strip().upper(), float(row[1]), float(row[2])
        except (IndexError, ValueError) as e:
            raise InvalidEpss(f"line {number} of the EPSS file is not 'cve,epss,percentile': {row}", hint=_HINT) from e
        if not _CVE.match(cve) or not (0 <= epss <= 1 and 0 <= percentile <= 1):
            raise InvalidEpss(f"line {number} of the EPSS file is out of range: {row}", hint=_HINT)
        scores.append(EpssScore(cve, epss, percentile))
    return EpssFile(model, score_date, tuple(scores))
