"""``FeedService``: the feeds for whatever the clearinghouse has published right now.

Each request asks the ``PublishedSource`` what is published (one query); the export and the provider tree are
rebuilt only when that set changed (an advisory published, revised or withdrawn), so serving a feed costs a
lookup, and signing happens once per revision.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from bastion.clearinghouse.advisory import PublishedAdvisory
from bastion.clearinghouse.feeds._source import PublishedSource
from bastion.clearinghouse.feeds.csaf_provider import CsafProvider, ProviderInfo
from bastion.clearinghouse.feeds.osv_export import OsvExport
from bastion.clearinghouse.feeds.signing import CsafSigner
from bastion.core.clock import Clock

SIGNING_KEY_FILE_NAME = "csaf-signing.asc"

_Key = tuple[tuple[str, str, int], ...]


def _key(advisories: Sequence[PublishedAdvisory]) -> _Key:
    return tuple(sorted((a.id, a.modified.isoformat(), a.revision) for a in advisories))


class FeedService:
    def __init__(
        self,
        source: PublishedSource,
        *,
        clock: Clock,
        publisher_name: str,
        publisher_namespace: str,
        signing_key_file: Path,
    ) -> None:
        self._source = source
        self._clock = clock
        self._publisher_name = publisher_name
        self._publisher_namespace = publisher_namespace
        self._key_file = signing_key_file
        self._lock = threading.Lock()
        self._osv: tuple[_Key, OsvExport] | None = None
        self._csaf: dict[str, tuple[_Key, CsafProvider]] = {}
        self._signer: CsafSigner | None = None

    def _signer_now(self) -> CsafSigner:
        if self._signer is None:
            host = self._publisher_namespace.split("://", 1)[-1].split("/", 1)[0] or "localhost"
            self._signer = CsafSigner.from_file(self._key_file, f"{self._publisher_name} <csaf@{host}>")
        return self._signer

    def osv_export(self) -> OsvExport:
        published = self._source.published()
        key = _key(published)
        with self._lock:
            if self._osv is None or self._osv[0] != key:
                self._osv = (key, OsvExport(published))
            return self._osv[1]

    def csaf_provider(self, base_url: str) -> CsafProvider:
        """The provider tree as served from ``base_url`` (the public origin)."""
        published = self._source.published()
        key = _key(published)
        with self._lock:
            cached = self._csaf.get(base_url)
            if cached is None or cached[0] != key:
                info = ProviderInfo(base_url, self._publisher_name, self._publisher_namespace)
                cached = (key, CsafProvider(published, info, self._signer_now(), at=self._clock.now()))
                self._csaf[base_url] = cached
            return cached[1]
