"""What Bastion keeps on disk is its server's alone: the data directory and its folders 0700, the database,
evidence, evaluation logs and the secret key 0600; the key may live outside the data directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bastion.api.app import create_app
from bastion.core.config import Settings
from bastion.core.crypto import SecretBox, SecretUnreadable
from bastion.runtime import Runtime
from tests.integration.review.support import Cast, submission_body


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the usual default: without care, files would be 0644 and folders 0755
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_the_embedded_database_and_the_key_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    runtime = Runtime.from_settings(settings)
    runtime.migrate()
    with runtime.database.session() as session:
        session.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))  # something in the write-ahead log
    SecretBox.from_settings(settings)
    data = settings.data_dir
    assert _mode(data) == 0o700
    files = {p.name: _mode(p) for p in data.iterdir() if p.is_file()}
    assert files["bastion.db"] == files["secret.key"] == 0o600
    assert {files.get("bastion.db-wal", 0o600), files.get("bastion.db-shm", 0o600)} == {0o600}
    runtime.database.dispose()


def test_the_key_can_live_outside_the_data_directory(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "bastion.key"
    settings = Settings(data_dir=tmp_path / "data", secret_key_file=key_file)
    sealed = SecretBox.from_settings(settings).encrypt("model access credential")
    assert SecretBox.from_settings(settings).decrypt(sealed) == "model access credential"
    assert (_mode(key_file), _mode(key_file.parent)) == (0o600, 0o700)
    assert not (settings.data_dir / "secret.key").exists()
    key_file.chmod(0o644)
    with pytest.raises(SecretUnreadable, match="chmod 600"):
        SecretBox.from_settings(settings)


def test_a_start_makes_whatever_is_in_the_data_directory_private(runtime: Runtime) -> None:
    """Files written with the default umask (by a library, or an older version) are tightened on start."""
    data = runtime.settings.data_dir
    (data / "evals" / "run_1" / "task").mkdir(parents=True, mode=0o755)
    log = data / "evals" / "run_1" / "task" / "log.eval"
    log.write_bytes(b"log")
    log.chmod(0o644)
    create_app(runtime)
    assert [_mode(p) for p in (data, data / "evals", data / "evals" / "run_1", log.parent)] == [0o700] * 4
    assert _mode(log) == 0o600


@pytest.mark.usefixtures("usual_umask")
def test_uploaded_evidence_is_private(runtime: Runtime, client: TestClient, cast: Cast) -> None:
    sub = client.post("/api/submissions", json=submission_body(), headers=cast.headers("owner_lab")).json()
    review = client.post("/api/reviews", json={"submission_id": sub["id"]}, headers=cast.headers("admin")).json()
    admin = cast.headers("admin")
    summary = {"summary": {"scores": {"ctf": 0.5}}}
    assert client.post(f"/api/reviews/{review['id']}/eval-results", json=summary, headers=admin).status_code == 201
    files = {"file": ("a.txt", b"abc", "text/plain")}
    assert client.post(f"/api/reviews/{review['id']}/evidence", files=files, headers=admin).status_code == 201
    stored = list((runtime.settings.data_dir / "evidence").rglob("*"))
    assert {_mode(p) for p in stored if p.is_file()} == {0o600}
    assert {_mode(p) for p in stored if p.is_dir()} | {_mode(runtime.settings.data_dir / "evidence")} == {0o700}
