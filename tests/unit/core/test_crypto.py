"""Secrets at rest: round trip, a changed key or altered value is refused, the key file is private."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bastion.core.config import Settings
from bastion.core.crypto import KEY_FILE_NAME, SecretBox, SecretUnreadable


def test_round_trip_with_a_configured_key(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="correct horse battery staple"))
    sealed = box.encrypt("api-key-for-model-x")
    assert "api-key-for-model-x" not in sealed
    again = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="correct horse battery staple"))
    assert again.decrypt(sealed) == "api-key-for-model-x"


def test_a_changed_key_is_a_clear_error(tmp_path: Path) -> None:
    sealed = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="key one")).encrypt("s3cret")
    other = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="key two"))
    with pytest.raises(SecretUnreadable, match="secret key changed") as error:
        other.decrypt(sealed)
    assert error.value.code == "secret_unreadable"


def test_an_altered_value_is_refused(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key="k"))
    sealed = box.encrypt("s3cret")
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SecretUnreadable):
        box.decrypt(tampered)


def test_without_a_key_a_private_key_file_is_created_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key=None)
    sealed = SecretBox.from_settings(settings).encrypt("s3cret")
    key_file = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first_key = key_file.read_bytes()
    assert SecretBox.from_settings(settings).decrypt(sealed) == "s3cret"
    assert key_file.read_bytes() == first_key


def test_a_malformed_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("not a key")
    with pytest.raises(SecretUnreadable, match="malformed"):
        SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key=None))
