"""A slice's public functions, methods and records name ids by their kind (``bastion.core.ids``,
``bastion.core.principal``), never as a bare ``str``: mypy then proves a finding id is never passed where a
review id is wanted. The shells wrap a path, query or form value once, where it enters.

Checked: every parameter called ``id``, ``*_id`` or ``*_ids`` of a public function or method, and every such
field of a dataclass or pydantic record, in each module of the slices listed in ``SLICES``, and in the classes
listed in ``SEAMS`` of slices not yet typed throughout (there, the ports that carry another slice's ids)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pydantic

SLICES = ["bastion.review", "bastion.identity", "bastion.clearinghouse", "bastion.defense"]
SEAMS = {
    "bastion.evals.review_seam": {"EvalResults", "ReviewResults"},  # the battery's port to the review slice
}

# Names that are not the id of one kind of stored thing, so a bare ``str`` is their honest type.
NOT_ENTITY_IDS = {
    "resource_id",  # the audit log's: the id of whatever the event is about, of any kind
}


# Ids that another standard defines inside its own documents: a string is their honest type here.
OTHER_STANDARDS = {
    "bastion.clearinghouse.feeds.signing.CsafSigner.from_file(user_id: <class 'str'>)",  # an OpenPGP user id
    "bastion.clearinghouse.formats._products.Leaf.__init__(product_id: <class 'str'>)",  # a CSAF product id
    "bastion.clearinghouse.formats._products.Leaf.product_id: <class 'str'>",
    "bastion.clearinghouse.formats.csaf.csaf_filename(tracking_id: <class 'str'>)",  # a CSAF document's id
    "bastion.clearinghouse.formats.cve5.Assigner.__init__(org_id: <class 'str'>)",  # the CVE Program's org UUID
    "bastion.clearinghouse.formats.cve5.Assigner.org_id: <class 'str'>",
}

# Ids still typed as ``str``, to be given their kind: the list only shrinks (an entry that is typed now fails the
# test until it is removed from here).
NOT_YET_TYPED = {
    # the exposure's integer id as the triage model's recorded inputs spell it (their digest is the proposal's)
    "bastion.defense.triage.TriageInputs.__init__(exposure_id: <class 'str'>)",
    "bastion.defense.triage.TriageInputs.exposure_id: <class 'str'>",
}


def _is_id(name: str) -> bool:
    return name not in NOT_ENTITY_IDS and (name == "id" or name.endswith(("_id", "_ids")))


def _names_plain_str(hint: Any) -> bool:
    """``str`` itself, or ``str`` inside ``str | None``, ``list[str]``, ``Iterable[str | None]``, ..."""
    if hint is str:
        return True
    if isinstance(hint, str):  # left unresolved by ``_hints``
        return re.search(r"\bstr\b", hint) is not None
    if isinstance(hint, typing.NewType):
        return False
    if typing.get_origin(hint) is typing.Annotated:
        return _names_plain_str(typing.get_args(hint)[0])
    return any(_names_plain_str(arg) for arg in typing.get_args(hint))


def _modules(package: str) -> Iterator[types.ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        yield importlib.import_module(info.name)


def _hints(thing: Any) -> dict[str, Any]:
    """The resolved annotations; one that names a ``TYPE_CHECKING``-only import stays a string."""
    try:
        return typing.get_type_hints(thing, include_extras=True)
    except NameError:
        pass
    found = {}
    for name, raw in inspect.get_annotations(thing).items():
        try:
            found[name] = typing.get_type_hints(
                types.SimpleNamespace(__annotations__={name: raw}), vars(inspect.getmodule(thing)), include_extras=True
            )[name]
        except NameError:
            found[name] = raw
    return found


def _callables(module: types.ModuleType) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value):
            for attr, member in vars(value).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                function = member.__func__ if isinstance(member, classmethod | staticmethod) else member
                if inspect.isfunction(function):
                    yield f"{name}.{attr}", function


def _records(module: types.ModuleType) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, value in vars(module).items():
        if name.startswith("_") or not inspect.isclass(value) or getattr(value, "__module__", None) != module.__name__:
            continue
        if dataclasses.is_dataclass(value):
            hints = _hints(value)
            yield name, {f.name: hints[f.name] for f in dataclasses.fields(value)}
        elif issubclass(value, pydantic.BaseModel):
            yield name, {field: info.annotation for field, info in value.model_fields.items()}


def _untyped(module: types.ModuleType, only: set[str] | None = None) -> Iterator[str]:
    for where, function in _callables(module):
        if only is not None and where.split(".")[0] not in only:
            continue
        hints = _hints(function)
        for parameter in inspect.signature(function).parameters:
            if _is_id(parameter) and _names_plain_str(hints.get(parameter, str)):
                yield f"{module.__name__}.{where}({parameter}: {hints.get(parameter)})"
    for where, fields in _records(module):
        if only is not None and where not in only:
            continue
        for field, hint in fields.items():
            if _is_id(field) and _names_plain_str(hint):
                yield f"{module.__name__}.{where}.{field}: {hint}"


def untyped_ids(package: str) -> list[str]:
    return sorted({line for module in _modules(package) for line in _untyped(module)})


def test_the_checker_sees_a_bare_str_id_and_passes_a_typed_one() -> None:
    ReviewID = typing.NewType("ReviewID", str)
    assert _names_plain_str(str) and _names_plain_str(str | None) and _names_plain_str(list[str])
    assert _names_plain_str(dict[ReviewID, str])
    assert not _names_plain_str(ReviewID) and not _names_plain_str(ReviewID | None)
    assert not _names_plain_str(frozenset[ReviewID])


def test_every_id_in_the_slices_has_its_kind() -> None:
    found = [line for package in SLICES for line in untyped_ids(package)]
    for name, only in SEAMS.items():
        found += sorted(set(_untyped(importlib.import_module(name), only)))
    new = [line for line in found if line not in NOT_YET_TYPED | OTHER_STANDARDS]
    assert not new, f"{len(new)} ids typed as a bare str:\n" + "\n".join(new)
    typed_now = (NOT_YET_TYPED | OTHER_STANDARDS) - set(found)
    assert not typed_now, "typed now (or gone): remove from its list here:\n" + "\n".join(sorted(typed_now))
