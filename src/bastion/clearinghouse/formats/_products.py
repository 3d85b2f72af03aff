"""The product tree a CSAF document (and a CVE record) describes a case with, built once from the advisory.

Each affected product becomes a vendor -> product_name branch with one leaf per affected range (a
``product_version_range`` in ``vers`` notation), per listed version and per fixed version
(``product_version`` with a versioned purl); a product with neither (an answer of ``not_affected`` or
``under_investigation`` for the whole product) gets one ``vers:<type>/*`` leaf. Product ids are assigned in
order, ``CSAFPID-0001`` onward, so the same advisory always gives the same ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packageurl import PackageURL

from bastion.clearinghouse.advisory import AffectedProduct, PublishedAdvisory, VersionRange

_GENERIC = "generic"


def vers_type(product: AffectedProduct) -> str:
    """The ``vers`` versioning scheme: the purl type where there is one (pypi, npm, cargo ...)."""
    if product.purl:
        try:
            return str(PackageURL.from_string(product.purl).type).lower()
        except ValueError:
            return _GENERIC
    return _GENERIC


def vers(scheme: str, span: VersionRange | None) -> str:
    """A version range in the ``vers`` notation (``vers:pypi/>=1.0|<2.4.2``); ``None`` means all versions."""
    if span is None:
        return f"vers:{scheme}/*"
    constraints = [] if span.introduced in ("", "0") else [f">={span.introduced}"]
    if span.fixed is not None:
        constraints.append(f"<{span.fixed}")
    elif span.last_affected is not None:
        constraints.append(f"<={span.last_affected}")
    return f"vers:{scheme}/{'|'.join(constraints) or '*'}"


def versioned_purl(purl: str | None, version: str) -> str | None:
    if purl is None:
        return None
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    return PackageURL(
        parsed.type, parsed.namespace, parsed.name, version, parsed.qualifiers, parsed.subpath
    ).to_string()


@dataclass(frozen=True, slots=True)
class Leaf:
    product_id: str
    category: str  # product_version | product_version_range
    name: str  # the version, or the vers range
    full_name: str
    purl: str | None = None
    cpe: str | None = None


@dataclass(slots=True)
class ProductLeaves:
    """The leaves of one affected product, by the role they play in its status."""

    product: AffectedProduct
    affected: list[Leaf] = field(default_factory=list)  # ranges and listed versions
    fixed: list[Leaf] = field(default_factory=list)

    @property
    def all(self) -> list[Leaf]:
        return [*self.affected, *self.fixed]


def product_leaves(advisory: PublishedAdvisory) -> list[ProductLeaves]:
    counter = 0

    def leaf(product: AffectedProduct, category: str, name: str, purl: str | None) -> Leaf:
        nonlocal counter
        counter += 1
        label = name.removeprefix(f"vers:{vers_type(product)}/") if category == "product_version_range" else name
        return Leaf(
            product_id=f"CSAFPID-{counter:04d}",
            category=category,
            name=name,
            full_name=f"{product.vendor} {product.product} {label}",
            purl=purl,
            cpe=product.cpe if category == "product_version_range" else None,
        )

    result: list[ProductLeaves] = []
    for product in advisory.affected:
        entry = ProductLeaves(product)
        scheme = vers_type(product)
        for span in product.ranges:
            entry.affected.append(leaf(product, "product_version_range", vers(scheme, span), None))
        for version in product.versions:
            entry.affected.append(leaf(product, "product_version", version, versioned_purl(product.purl, version)))
        if not entry.affected:
            entry.affected.append(leaf(product, "product_version_range", vers(scheme, None), None))
        for version in product.fixed_in:
            entry.fixed.append(leaf(product, "product_version", version, versioned_purl(product.purl, version)))
        result.append(entry)
    return result


def product_tree(leaves: list[ProductLeaves]) -> dict[str, object]:
    """CSAF ``product_tree``: vendor -> product name -> leaves, vendors and products merged by name."""
    vendors: dict[str, dict[str, list[Leaf]]] = {}
    for entry in leaves:
        vendors.setdefault(entry.product.vendor, {}).setdefault(entry.product.product, []).extend(entry.all)
    branches = []
    for vendor, products in vendors.items():
        product_branches = []
        for name, items in products.items():
            product_branches.append(
                {"category": "product_name", "name": name, "branches": [_leaf_branch(item) for item in items]}
            )
        branches.append({"category": "vendor", "name": vendor, "branches": product_branches})
    return {"branches": branches}


def _leaf_branch(item: Leaf) -> dict[str, object]:
    product: dict[str, object] = {"name": item.full_name, "product_id": item.product_id}
    helper = {k: v for k, v in (("purl", item.purl), ("cpe", item.cpe)) if v}
    if helper:
        product["product_identification_helper"] = helper
    return {"category": item.category, "name": item.name, "product": product}
