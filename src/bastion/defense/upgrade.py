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


def candidates(component: Installed, documents: Sequence[Mapping[str, Any]]) -> list[str]:
    assert component.ecosystem is not None and component.name is not None and component.version is not None
    ecosystem = Ecosystem(component.ecosystem)
    query = PackageQuery(ecosystem, component.name, component.version)
    current = _key(ecosystem, component.version)
    found: dict[str, Any] = {}
    for document in documents:
        for version in fixed_versions(document, query):
            key = _key(ecosystem, version)
            if key is not None and (current is None or key > current):
                found[version] = key
    return sorted(found, key=lambda v: found[v])


def smallest_upgrades(
    queries: OsvQueries, components: Mapping[int, tuple[Installed, Sequence[Mapping[str, Any]]]]
) -> dict[int, str | None]:
    asked: list[tuple[int, str]] = []
    requests: list[QueryRequest] = []
    for component_id, (component, documents) in components.items():
        for version in candidates(component, documents):
            asked.append((component_id, version))
            requests.append(QueryRequest(name=component.name, ecosystem=component.ecosystem, version=version))
    answers = queries.answer(requests, paged=False).answers if requests else ()
    result: dict[int, str | None] = dict.fromkeys(components)
    for (component_id, version), answer in zip(asked, answers, strict=True):
        if result[component_id] is not None or answer.problem is not None:
            continue
        ids = {str(d.get("id")) for d in components[component_id][1]}
        if not ids & {vuln_id for vuln_id, _ in answer.hits}:
            result[component_id] = version
    return result
