"""The clearinghouse as a CSAF trusted provider (CSAF 2.0 section 7): every file an aggregator pulls.

Served under ``/.well-known/csaf/`` (and writable to a directory for static hosting):

- ``provider-metadata.json`` (7.1.7): role ``csaf_trusted_provider``, the directory and ROLIE distributions,
  the OpenPGP key's fingerprint and URL;
- ``white/<year>/<file>.json`` (7.1.11), one folder per year of initial release, named as 5.1 prescribes,
  each with ``.sha256`` and ``.sha512`` (7.1.18) and a detached signature ``.asc`` (7.1.19);
- ``white/index.txt`` (7.1.12) and ``white/changes.csv`` (7.1.13, newest first);
- ``feed-tlp-white.json``, the ROLIE feed (7.1.15);
- ``openpgp/<FINGERPRINT>.asc``, the public key (7.1.20).

Both documents of an advisory (the security advisory and its VEX variant) are published. Only what the
``PublishedSource`` returns is ever written: nothing under embargo.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.feeds.signing import CsafSigner
from bastion.clearinghouse.formats import csaf_advisory, csaf_filename, csaf_vex
from bastion.clearinghouse.formats.csaf import csaf_date

WELL_KNOWN = ".well-known/csaf"
TLP_FOLDER = "white"
FEED_FILE = "feed-tlp-white.json"
CSAF_SCHEMA_URL = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """Who publishes, and where: ``base_url`` is the public origin serving ``/.well-known/csaf/``."""

    base_url: str
    publisher_name: str
    publisher_namespace: str

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{WELL_KNOWN}/{path}"


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class _Published:
    path: str  # white/<year>/<file>
    document: dict[str, Any]
    body: bytes
    advisory: PublishedAdvisory


class CsafProvider:
    """Every file of the provider for one set of published advisories, by path under ``.well-known/csaf/``."""

    def __init__(
        self, advisories: Sequence[PublishedAdvisory], info: ProviderInfo, signer: CsafSigner, *, at: datetime
    ) -> None:
        self.info = info
        self._signer = signer
        self._documents = [self._document(a, render) for a in advisories for render in (csaf_advisory, csaf_vex)]
        self._documents.sort(key=lambda d: d.path)
        newest = max((d.advisory.modified for d in self._documents), default=at)
        self.files: dict[str, bytes] = {}
        for doc in self._documents:
            self.files[doc.path] = doc.body
            name = PurePosixPath(doc.path).name
            self.files[doc.path + ".sha256"] = f"{hashlib.sha256(doc.body).hexdigest()}  {name}\n".encode()
            self.files[doc.path + ".sha512"] = f"{hashlib.sha512(doc.body).hexdigest()}  {name}\n".encode()
            self.files[doc.path + ".asc"] = signer.sign(doc.body)
        self.files[f"{TLP_FOLDER}/index.txt"] = self._index()
        self.files[f"{TLP_FOLDER}/changes.csv"] = self._changes()
        self.files[FEED_FILE] = _json(self._rolie_feed(newest))
        self.files[self._key_path] = signer.public_key.encode("ascii")
        self.files["provider-metadata.json"] = _json(self.provider_metadata(newest))

    @property
    def _key_path(self) -> str:
        return f"openpgp/{self._signer.fingerprint}.asc"

    @staticmethod
    def _document(advisory: PublishedAdvisory, render: Any) -> _Published:
        document = render(advisory)
        tracking = document["document"]["tracking"]
        year = advisory.published.astimezone(UTC).year
        path = f"{TLP_FOLDER}/{year}/{csaf_filename(tracking['id'])}"
        return _Published(path, document, _json(document), advisory)

    def _relative(self, doc: _Published) -> str:
        return doc.path.removeprefix(f"{TLP_FOLDER}/")

    def _index(self) -> bytes:
        return "".join(f"{self._relative(d)}\n" for d in self._documents).encode()

    def _changes(self) -> bytes:
        rows = sorted(
            ((d.document["document"]["tracking"]["current_release_date"], self._relative(d)) for d in self._documents),
            reverse=True,
        )
        return "".join(f'"{path}","{when}"\n' for when, path in rows).encode()

    def _rolie_feed(self, newest: datetime) -> dict[str, Any]:
        entries = []
        for doc in sorted(self._documents, key=lambda d: d.advisory.modified, reverse=True):
            meta = doc.document["document"]
            url = self.info.url(doc.path)
            entries.append(
                {
                    "id": meta["tracking"]["id"],
                    "title": meta["title"],
                    "link": [
                        {"rel": "self", "href": url},
                        {"rel": "hash", "href": url + ".sha256"},
                        {"rel": "hash", "href": url + ".sha512"},
                        {"rel": "signature", "href": url + ".asc"},
                    ],
                    "published": meta["tracking"]["initial_release_date"],
                    "updated": meta["tracking"]["current_release_date"],
                    "summary": {"content": doc.advisory.summary},
                    "content": {"type": "application/json", "src": url},
                    "format": {"schema": CSAF_SCHEMA_URL, "version": "2.0"},
                }
            )
        return {
            "feed": {
                "id": "bastion-csaf-feed-tlp-white",
                "title": f"{self.info.publisher_name} CSAF feed (TLP:WHITE)",
                "link": [{"rel": "self", "href": self.info.url(FEED_FILE)}],
                "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
                "updated": csaf_date(newest),
                "entry": entries,
            }
        }

    def provider_metadata(self, newest: datetime) -> dict[str, Any]:
        return {
            "canonical_url": self.info.url("provider-metadata.json"),
            "distributions": [
                {
                    "directory_url": self.info.url(f"{TLP_FOLDER}/"),
                    "rolie": {
                        "feeds": [
                            {
                                "summary": f"All TLP:WHITE advisories of the {self.info.publisher_name}.",
                                "tlp_label": "WHITE",
                                "url": self.info.url(FEED_FILE),
                            }
                        ]
                    },
                }
            ],
            "last_updated": csaf_date(newest),
            "list_on_CSAF_aggregators": True,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": True,
            "public_openpgp_keys": [{"fingerprint": self._signer.fingerprint, "url": self.info.url(self._key_path)}],
            "publisher": {
                "category": "coordinator",
                "name": self.info.publisher_name,
                "namespace": self.info.publisher_namespace,
            },
            "role": "csaf_trusted_provider",
        }

    def write(self, directory: Path) -> list[Path]:
        """Write every file under ``directory/.well-known/csaf/`` (for static hosting); returns the paths."""
        written = []
        for path, body in sorted(self.files.items()):
            target = directory / WELL_KNOWN / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            written.append(target)
        return written
