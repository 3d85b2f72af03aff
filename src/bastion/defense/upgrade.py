"""The smallest upgrade that clears every advisory on a component.

The candidates are the versions that fix any of the component's advisories (their ranges' ``fixed`` events),
above the installed version in the ecosystem's ordering. Each candidate is asked of the ``/v1`` matcher; the
smallest that none of the component's advisories affects is the answer (None: no fixed version clears them
all, e.g. one advisory has no fix yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bastion.advisories.ecosystems import Ecosystem
from bastion.advisories.lookup import OsvQueries, QueryRequest, fixed_versions
from bastion.advisories.query import PackageQuery
from bastion.advisories.versions import sort_key
from bastion.core.errors import BastionError


class Installed(Protocol):
    """A component as far as upgrades go (a ``ComponentRow``, or a scanned component)."""

    @property
    def ecosystem(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...


def _key(ecosystem: Ecosystem, version: str) -> Any:
    try:
        return sort_key(ecosystem, version)
    except BastionError:
        return None


def candidates(
    component: Installed, documents: Sequence[Mapping[str, Any]], fixed: Sequence[Sequence[str]] | None = None
) -> list[str]:
    """The fixed versions worth asking, ascending: above the installed version, and not below the lowest
    version that fixes the slowest-fixed advisory (every advisory on the component must be fixed by then)."""
    assert component.ecosystem is not None and component.name is not None and component.version is not None
    ecosystem = Ecosystem(component.ecosystem)
    query = PackageQuery(ecosystem, component.name, component.version)
    current = _key(ecosystem, component.version)
    found: dict[str, Any] = {}
    floor: Any = None
    for index, document in enumerate(documents):
        lowest: Any = None
        for version in fixed[index] if fixed is not None else fixed_versions(document, query):
            key = _key(ecosystem, version)
            if key is not None and (current is None or key > current):
                found[version] = key
                lowest = key if lowest is None or key < lowest else lowest
        if lowest is not None and (floor is None or lowest > floor):
            floor = lowest
    ordered = sorted(found, key=lambda v: found[v])
    return [v for v in ordered if floor is None or not found[v] < floor]


def smallest_upgrades(
    queries: OsvQueries,
    components: Mapping[int, tuple[Installed, Sequence[Mapping[str, Any]]]],
    *,
    fixed: Mapping[int, Sequence[Sequence[str]]] | None = None,
) -> dict[int, str | None]:
    """Each component's smallest upgrade clearing all its advisories. Candidates are asked of the /v1 matcher
    in rounds (each component's next candidate per round), so a component stops at its first clearing one."""
    pending = {
        cid: candidates(component, documents, fixed.get(cid) if fixed is not None else None)
        for cid, (component, documents) in components.items()
    }
    wanted = {cid: {str(d.get("id")) for d in documents} for cid, (_, documents) in components.items()}
    result: dict[int, str | None] = dict.fromkeys(components)
    depth = 0
    while True:
        asked = [(cid, versions[depth]) for cid, versions in pending.items() if depth < len(versions)]
        if not asked:
            return result
        requests = [
            QueryRequest(name=components[cid][0].name, ecosystem=components[cid][0].ecosystem, version=version)
            for cid, version in asked
        ]
        for (cid, version), answer in zip(asked, queries.answer(requests, paged=False).answers, strict=True):
            if answer.problem is None and not wanted[cid] & {vuln_id for vuln_id, _ in answer.hits}:
                result[cid] = version
                del pending[cid]
        depth += 1
