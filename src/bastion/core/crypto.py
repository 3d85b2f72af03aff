"""Secrets at rest (e.g. model-access credentials): authenticated encryption with Fernet.

The key comes from ``settings.secret_key`` (any string; a Fernet key is derived from it with HKDF) or,
when unset, from ``settings.secret_key_file`` (default ``data_dir/secret.key``), created once with mode 0600
and refused if anyone but its owner may read it. Keep it outside the data directory, and one backup of the
data does not hold the key to its secrets.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bastion.core.config import Settings
from bastion.core.errors import BastionError, OperationalError
from bastion.core.files import private_dir

KEY_FILE_NAME = "secret.key"
_HKDF_INFO = b"bastion secret box v1"


class SecretBoxError(BastionError):
    """Base of errors about secrets at rest."""


class SecretUnreadable(SecretBoxError, OperationalError):  # noqa: N818 - named for what happened
    default_code = "secret_unreadable"


def _derive(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def read_or_create_key(path: Path, make: Callable[[], bytes]) -> bytes:
    """Read a key file, creating it with ``make()`` (mode 0600, in a folder created 0700, never overwritten)
    when it does not exist yet. Two processes starting at once agree: only one creates it (O_EXCL), the other
    reads what it wrote. A key file that others may read is refused, as ssh refuses such a private key."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretUnreadable(
                f"the key file {path} may be read by others (mode {mode:04o})",
                code="secret_key_exposed",
                hint=f"chmod 600 {path}",
            )
        return path.read_bytes().strip()
    except OSError as e:
        raise SecretUnreadable(
            f"cannot read the key file {path}: {e.strerror}",
            hint="check the file, its owner and the setting that names it (BASTION_SECRET_KEY_FILE, "
            "BASTION_AUDIT_KEY_FILE)",
        ) from e


class SecretBox:
    """Encrypts and decrypts short secrets; tampering or a changed key is detected, never ignored."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as e:
            raise SecretUnreadable(
                "the secret key file is malformed",
                hint=f"restore {KEY_FILE_NAME} (BASTION_SECRET_KEY_FILE) or set BASTION_SECRET_KEY",
            ) from e

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key:
            return cls(_derive(settings.secret_key))
        return cls(read_or_create_key(settings.resolved_secret_key_file(), Fernet.generate_key))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError) as e:
            raise SecretUnreadable(
                "a stored secret cannot be decrypted: the secret key changed or the value was altered",
                hint="run with the BASTION_SECRET_KEY (or data_dir/secret.key) the secret was stored with",
            ) from e
