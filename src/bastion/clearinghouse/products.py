"""Products named by purl and/or CPE 2.3, and the vendor registry's matching. Pure.

A report names its product by a package URL without a version (``pkg:pypi/jinja2``; parsed by
``packageurl-python``) and/or a CPE 2.3 formatted string (``cpe:2.3:a:pallets:jinja:*:*:*:*:*:*:*:*``). The CPE
parser is ours: the formatted-string binding is thirteen colon-separated fields with ``\\`` escapes, and the
libraries that parse it bring dictionaries and matching we do not need.

A vendor registry entry claims a purl namespace (``type``, ``namespace``, ``name`` where ``name`` may be ``*``
for everything under the namespace) or a CPE ``vendor``/``product`` (``product`` may be ``*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from packageurl import PackageURL

from bastion.clearinghouse.errors import invalid
from bastion.core.ids import VendorID

ANY = "*"
_CPE_FIELDS = 13
_CPE_PART = {"a", "o", "h"}


@dataclass(frozen=True, slots=True)
class Purl:
    type: str
    namespace: str  # "" when the type has none
    name: str

    @property
    def text(self) -> str:
        return str(PackageURL(type=self.type, namespace=self.namespace or None, name=self.name).to_string())


@dataclass(frozen=True, slots=True)
class Cpe:
    part: str
    vendor: str
    product: str

    @property
    def text(self) -> str:
        return f"cpe:2.3:{self.part}:{self.vendor}:{self.product}:*:*:*:*:*:*:*:*"


def _normal_name(purl_type: str, name: str) -> str:
    lowered = name.lower() if purl_type in {"pypi", "npm", "cargo", "gem", "nuget", "composer", "hackage"} else name
    return re.sub(r"[-_.]+", "-", lowered) if purl_type == "pypi" else lowered


def parse_purl(text: str) -> Purl:
    """A product's purl: the version (if any) and qualifiers are dropped; names are normalised per type."""
    try:
        parsed: Any = PackageURL.from_string(text.strip())
    except ValueError as e:
        raise invalid(
            f"{text!r} is not a package URL: {e}", hint="write it as pkg:TYPE/NAMESPACE/NAME, e.g. pkg:pypi/jinja2"
        ) from e
    purl_type = str(parsed.type).lower()
    namespace = str(parsed.namespace or "")
    if purl_type in {"npm", "composer", "golang", "github"}:
        namespace = namespace.lower()
    return Purl(purl_type, namespace, _normal_name(purl_type, str(parsed.name)))


def _split_cpe(text: str) -> list[str]:
    fields, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def parse_cpe(text: str) -> Cpe:
    """A CPE 2.3 formatted string; vendor and product are what the registry matches on (lowercase)."""
    fields = _split_cpe(text.strip())
    if len(fields) != _CPE_FIELDS or fields[0] != "cpe" or fields[1] != "2.3" or fields[2] not in _CPE_PART:
        raise invalid(
            f"{text!r} is not a CPE 2.3 formatted string",
            hint="write it as cpe:2.3:a:VENDOR:PRODUCT:VERSION:*:*:*:*:*:*:* (13 fields)",
        )
    vendor, product = fields[3].lower(), fields[4].lower()
    if vendor in {"", ANY, "-"} or product in {"", ANY, "-"}:
        raise invalid(f"CPE {text!r} must name a vendor and a product", hint="replace the * with their names")
    return Cpe(fields[2], vendor, product)


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One claim of the vendor registry: a purl namespace or a CPE vendor/product, owned by ``vendor_id``."""

    vendor_id: VendorID
    purl_type: str | None = None
    purl_namespace: str | None = None
    purl_name: str | None = None  # ANY for the whole namespace
    cpe_vendor: str | None = None
    cpe_product: str | None = None  # ANY for every product of the CPE vendor

    def matches(self, purl: Purl | None, cpe: Cpe | None) -> bool:
        same_type = purl is not None and self.purl_type is not None and self.purl_type == purl.type
        if same_type and purl is not None and (self.purl_namespace or "") == purl.namespace:
            return self.purl_name in (ANY, purl.name)
        if cpe is not None and self.cpe_vendor is not None and self.cpe_vendor == cpe.vendor:
            return self.cpe_product in (ANY, cpe.product)
        return False


def vendors_for(entries: list[RegistryEntry], purl: Purl | None, cpe: Cpe | None) -> list[VendorID]:
    """The vendors whose registry entries claim this product, in registry order, without repeats."""
    return list(dict.fromkeys(e.vendor_id for e in entries if e.matches(purl, cpe)))


def product_tokens(purl: Purl | None, cpe: Cpe | None) -> frozenset[str]:
    """Words of the product's names, for finding candidate duplicates across ecosystems and naming styles
    (``pkg:pypi/tensorflow-gpu`` and ``pkg:bitnami/tensorflow`` share ``tensorflow``)."""
    names = []
    if purl is not None:
        names += [purl.name, purl.namespace]
    if cpe is not None:
        names += [cpe.product]
    words = {w for name in names for w in re.split(r"[^a-z0-9]+", name.lower()) if len(w) > 1}
    specific = words - GENERIC_PRODUCT_WORDS
    return frozenset(specific or words)  # a product named only by generic words ("node") keeps them


GENERIC_PRODUCT_WORDS = frozenset(
    {"cpu", "gpu", "min", "lib", "libs", "py", "python", "python3", "rs", "rust", "js", "node", "apache", "core"}
    | {"client", "server", "sdk", "api", "plugin", "cli", "dev", "tools", "utils", "common", "go", "php", "java"}
    | {"org", "com", "io", "net", "the"}
)
