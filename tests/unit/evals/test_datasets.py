"""Dataset sources: local copies verified by SHA-256, clear errors, downloads verified too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bastion.evals import datasets
from bastion.evals.datasets import DataFile, DataSource
from bastion.evals.errors import DatasetIntegrityError, DatasetUnavailable


def test_every_pinned_file_matches_the_shared_copy(shared_data: Path) -> None:
    source = DataSource(local=shared_data / "evals")
    for spec in datasets.ALL_FILES:
        assert source.read(spec)  # raises DatasetIntegrityError on a mismatch


def test_a_modified_copy_is_rejected(shared_data: Path, tmp_path: Path) -> None:
    spec = datasets.CYBERSECEVAL["prompt_injection"]
    copy = tmp_path / spec.path
    copy.parent.mkdir(parents=True)
    shutil.copyfile(shared_data / "evals" / spec.path, copy)
    with copy.open("ab") as f:
        f.write(b" ")
    with pytest.raises(DatasetIntegrityError, match="SHA-256") as info:
        DataSource(local=tmp_path).read(spec)
    assert info.value.details["expected"] == spec.sha256


def test_missing_local_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(DatasetUnavailable, match="not found") as info:
        DataSource(local=tmp_path).read(datasets.CYBERSECEVAL["mitre_frr"])
    assert "--data-dir" in (info.value.hint or "")


def test_unreachable_upstream_is_a_clear_error(tmp_path: Path) -> None:
    spec = DataFile("cyberseceval/x.json", "http://127.0.0.1:9/x.json", "0" * 64)
    with pytest.raises(DatasetUnavailable, match="cannot download") as info:
        DataSource(cache=tmp_path).read(spec)
    assert "--data-dir" in (info.value.hint or "")


def test_cached_download_is_verified(shared_data: Path, tmp_path: Path) -> None:
    spec = datasets.CYBERSECEVAL["interpreter"]
    (tmp_path / spec.path).parent.mkdir(parents=True)
    shutil.copyfile(shared_data / "evals" / spec.path, tmp_path / spec.path)
    assert len(DataSource(cache=tmp_path, download=False).json(spec)) == 500
    (tmp_path / spec.path).write_text("[]")
    with pytest.raises(DatasetIntegrityError):
        DataSource(cache=tmp_path, download=False).read(spec)
