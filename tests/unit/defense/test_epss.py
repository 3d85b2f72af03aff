"""FIRST's EPSS CSV, plain or gzipped; anything else refused whole."""

from __future__ import annotations

import gzip
from datetime import date

import pytest

from bastion.defense.epss import looks_like_epss, parse_epss
from bastion.defense.errors import InvalidEpss

CSV = (
    b"#model_version:v2025.03.14,score_date:2026-11-01T00:00:00+0000\n"
    b"cve,epss,percentile\n"
    b"CVE-2020-11651,0.975,0.9999\n"
)


def test_firsts_csv_plain_and_gzipped() -> None:
    for data in (CSV, gzip.compress(CSV)):
        assert looks_like_epss(data)
        parsed = parse_epss(data)
        assert parsed.model_version == "v2025.03.14" and parsed.score_date == date(2026, 11, 1)
        assert [(s.cve, s.epss, s.percentile) for s in parsed.scores] == [("CVE-2020-11651", 0.975, 0.9999)]


@pytest.mark.parametrize(
    "data",
    [b"cve,score\nCVE-2020-1,0.5\n", b"cve,epss,percentile\nCVE-2020-1,1.5,0.5\n", b"cve,epss,percentile\nX,0.1,0.2\n"],
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidEpss):
        parse_epss(data)
    assert not looks_like_epss(b"id,name\n")
