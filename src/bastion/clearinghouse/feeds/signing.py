"""The OpenPGP key that signs published CSAF documents (CSAF 7.1.19/7.1.20), through Sequoia (pysequoia).

The secret key lives in a file outside the database (created on first use, mode 0600); its public half is
served with the documents and named, with its fingerprint, in ``provider-metadata.json``.
"""

from __future__ import annotations

from pathlib import Path

import pysequoia

from bastion.core.crypto import read_or_create_key


class CsafSigner:
    def __init__(self, key: pysequoia.Tsk) -> None:
        self._key = key
        certificate = key.extract_certificate()
        self.fingerprint: str = str(certificate.fingerprint).upper()
        self.public_key: str = str(certificate)

    @classmethod
    def from_file(cls, path: Path, user_id: str) -> CsafSigner:
        """Load the signing key from ``path``, generating it for ``user_id`` the first time."""
        armored = read_or_create_key(path, lambda: str(pysequoia.Tsk.generate(user_id)).encode("ascii"))
        return cls(pysequoia.Tsk.from_bytes(armored))

    def sign(self, data: bytes) -> bytes:
        """An ASCII-armored detached signature of ``data``."""
        signature: bytes = pysequoia.sign(self._key.signer(), data, mode=pysequoia.SignatureMode.DETACHED)
        return signature
