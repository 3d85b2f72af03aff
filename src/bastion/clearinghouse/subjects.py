"""A report draft as the pure deciders see it: its product (parsed purl and CPE) and its dedupe subject. Pure."""

from __future__ import annotations

from bastion.clearinghouse.dedupe import Location, Subject
from bastion.clearinghouse.errors import InvalidReport
from bastion.clearinghouse.products import Cpe, Purl, parse_cpe, parse_purl, product_tokens
from bastion.clearinghouse.schemas import ReportDraft
from bastion.clearinghouse.scoring import parse_vector


def product_of(draft: ReportDraft) -> tuple[Purl | None, Cpe | None]:
    return (parse_purl(draft.purl) if draft.purl else None, parse_cpe(draft.cpe) if draft.cpe else None)


def product_key(purl: Purl | None, cpe: Cpe | None) -> str:
    """One canonical name for the product: the purl without version, else ``cpe:VENDOR:PRODUCT``."""
    if purl is not None:
        return purl.text
    assert cpe is not None  # a draft names at least one
    return f"cpe:{cpe.vendor}:{cpe.product}"


def location_of(draft: ReportDraft, frames: tuple[str, ...] = ()) -> Location:
    """The declared location, or the crash state the sandbox observed (``frames``) when there is one."""
    declared = draft.location
    if frames:
        return Location(frames=frames)
    if declared is None:
        return Location()
    return Location(file=declared.file, function=declared.function, frames=tuple(declared.frames[:3]))


def subject_of(key: str, draft: ReportDraft, frames: tuple[str, ...] = ()) -> Subject:
    purl, cpe = product_of(draft)
    return Subject(
        key=key,
        text=f"{draft.title}\n{draft.description}",
        product=product_key(purl, cpe),
        product_tokens=product_tokens(purl, cpe),
        cwe=draft.cwe,
        location=location_of(draft, frames),
        aliases=frozenset(draft.aliases),
        fixed=draft.affected.fixed,
        cvss=_vector(draft.cvss_vector),
        introduced=draft.affected.introduced,
        last_affected=draft.affected.last_affected,
    )


def _vector(text: str | None) -> str | None:
    """The vector as stored (normalised by the ``cvss`` library), so drafts and rows compare alike."""
    if text is None:
        return None
    try:
        return parse_vector(text).vector
    except InvalidReport:
        return text
