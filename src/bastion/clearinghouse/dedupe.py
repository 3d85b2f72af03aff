"""Is a new report one we already have? Pure: records in, a verdict out.

Three tests, strongest first:

1. **Alias.** The report names a CVE, GHSA or OSV id another report (or a known advisory, checked by the
   service) already carries.
2. **Fingerprint.** Same product, same CWE and same location: the file and function, or the crash state (the
   top frames of the sanitizer's stack, as ClusterFuzz buckets crashes). A different CWE or a different location
   on both sides rules a candidate out before the text is compared.
3. **Text.** TF-IDF cosine of title and description against reports of the same product (matched by the words
   of its names, so ``pkg:pypi/tensorflow-gpu`` meets ``pkg:bitnami/tensorflow``), with inverse document
   frequencies taken over those candidates: a product's boilerplate ("this is a vulnerability in TensorFlow ...
   we have patched the issue in commit ...") weighs little, the function it names weighs much.

However alike the words, a text match is refused when a fact both reports declare disagrees (``conflict``):
the location, the CWE, the fixed version, the CVSS vector; affected version ranges of the same package that do
not overlap; fix commits named in the texts that differ; or a text that names its own product where the other
report's text does not (look-alike notices about two packages, as opposed to one flaw in a component several
products ship, whose name both texts carry). A fingerprint match with disjoint ranges is a regression, not a
duplicate.

The rules and thresholds were developed on one half of the bench's vulnerabilities and measured on the other
(``bench/bench_dedupe.py``, numbers in BENCHMARKS.md).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

_ID = re.compile(r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[a-z0-9]{4}){3}|[A-Z][A-Z0-9]*-\d{4}-[\w.-]+|BIT-[\w.-]+)\b", re.I)
_URL = re.compile(r"https?://\S+")
_COMMIT = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{7,40}(?![0-9A-Za-z])")
_MENTIONED_VERSION = re.compile(r"(?<![\w.])\d+(?:\.\d+)+(?:[a-z]\w*)?(?!\w)|\b\d+u\d+\b")
_VERSION = re.compile(r"v?(\d+(?:\.\d+)*)")
_WORD = re.compile(r"\d+(?:\.\d+)+[a-z0-9]*|[a-z][a-z0-9_]*[a-z0-9]|[a-z]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "could",
        "does",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "might",
        "not",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "which",
        "will",
        "with",
        "would",
        "when",
        "where",
        "who",
        "whose",
        "also",
        "such",
        "than",
        "then",
        "via",
        "any",
        "all",
        "some",
        "other",
        "more",
        "most",
        "only",
        "versions",
        "version",
        "prior",
        "before",
        "after",
        "affected",
        "allows",
        "allow",
        "attacker",
        "attackers",
        "remote",
        "user",
        "users",
        "vulnerability",
        "vulnerable",
        "issue",
        "fixed",
        "fix",
        "upgrade",
        "used",
        "use",
        "using",
        "because",
    ]
)


class MatchKind(StrEnum):
    ALIAS = "alias"
    FINGERPRINT = "fingerprint"
    SIMILAR_TEXT = "similar_text"


@dataclass(frozen=True, slots=True)
class Location:
    """Where the flaw is: a file and function, and/or a crash state (the top frames, innermost first)."""

    file: str | None = None
    function: str | None = None
    frames: tuple[str, ...] = ()

    @property
    def key(self) -> str | None:
        if self.frames:
            return "frames:" + "|".join(f.strip() for f in self.frames)
        if self.file or self.function:
            file = (self.file or "").strip().lstrip("./").lower()
            return f"code:{file}:{(self.function or '').strip()}"
        return None


@dataclass(frozen=True, slots=True)
class Subject:
    """A report as deduplication sees it."""

    key: str  # the report id
    text: str  # title and description
    product: str | None = None  # the product's canonical name (purl without version, or CPE vendor:product)
    product_tokens: frozenset[str] = frozenset()
    cwe: str | None = None
    location: Location = field(default_factory=Location)
    aliases: frozenset[str] = frozenset()
    fixed: str | None = None  # the declared first fixed version
    cvss: str | None = None  # the CVSS vector
    introduced: str | None = None  # the declared first affected version ("0": since the beginning)
    last_affected: str | None = None  # the declared last affected version, when no fix is known
    bag: Counter[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bag", words(self.text))

    @property
    def text_keys(self) -> frozenset[str]:
        """Keys of the wording itself (its first line, the start of its body), to meet the same text filed
        against another product: a flaw in a bundled component is reported for every product that ships it."""
        lines = [line for line in self.text.splitlines() if line.strip()]
        keys = set()
        for line in lines[:2]:
            head = " ".join(w for w in _WORD.findall(_ID.sub(" ", line).lower())[:25])
            if len(head) >= 20:
                keys.add(hashlib.sha256(head.encode()).hexdigest()[:32])
        return frozenset(keys)

    @property
    def name(self) -> str | None:
        """The product's own name (the purl's name, the CPE's product), as its reports write it."""
        if self.product is None:
            return None
        tail = self.product.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        return _normal(tail.rsplit("/", 1)[-1].rsplit(":", 1)[-1]) or None

    @property
    def commits(self) -> frozenset[str]:
        """Commit hashes the text names (a fix's commit identifies the flaw it fixes)."""
        return frozenset(h.lower() for h in _COMMIT.findall(self.text) if not h.isdigit() and not h.isalpha())

    @property
    def mentioned_versions(self) -> frozenset[str]:
        """Version numbers the text names (``2.4.1``, ``1.0.0rc1``, Java's ``8u401``)."""
        return frozenset(_MENTIONED_VERSION.findall(_URL.sub(" ", _ID.sub(" ", self.text)).lower()))

    @property
    def versions(self) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None, bool]:
        """The declared affected range as numeric keys: (first affected, end, end is inclusive); a part that is
        not a plain dotted number is None (unknown, so no conflict is drawn from it)."""
        start = (0,) if self.introduced in (None, "", "0") else _numeric(self.introduced)
        if self.fixed:
            return start, _numeric(self.fixed), False
        if self.last_affected:
            return start, _numeric(self.last_affected), True
        return start, None, False

    @property
    def fingerprint(self) -> str | None:
        """Product, CWE and location hashed; None unless all three are known."""
        location = self.location.key
        if self.product is None or self.cwe is None or location is None:
            return None
        return hashlib.sha256(f"{self.product}\n{self.cwe}\n{location}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    key: str  # the matching report
    score: float  # 1.0 for alias and fingerprint matches; the cosine for text
    why: str


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Cosines at or above which a related report's wording makes it the same flaw (chosen on the development
    half of the bench, measured on the held-out half: BENCHMARKS.md)."""

    similar: float = 0.9  # the same product (a product word in common)
    other_product: float = 0.9  # the same wording filed against another product (a bundled component)


DEFAULT_THRESHOLDS = Thresholds()


def words(text: str) -> Counter[str]:
    """Content words of a text: lowercased, without ids (CVE, GHSA, OSV) or URLs, stop words or numbers."""
    cleaned = _URL.sub(" ", _ID.sub(" ", text)).lower()
    return Counter(w for w in _WORD.findall(cleaned) if w not in _STOP and len(w) > 1)


def find_duplicate(
    subject: Subject, candidates: Sequence[Subject], thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Match | None:
    """The best earlier report that is the same flaw as ``subject``, or None."""
    others = [c for c in candidates if c.key != subject.key]
    for candidate in others:
        shared = subject.aliases & candidate.aliases
        if shared:
            return Match(MatchKind.ALIAS, candidate.key, 1.0, f"same id {sorted(shared)[0]}")
    print_ = subject.fingerprint
    if print_ is not None:
        for candidate in others:
            if candidate.fingerprint == print_ and not disjoint_ranges(subject, candidate):
                where = subject.location.key or ""
                return Match(MatchKind.FINGERPRINT, candidate.key, 1.0, f"same product, CWE and location ({where})")
    keys = subject.text_keys
    related = [
        c
        for c in others
        if (c.product_tokens & subject.product_tokens or c.text_keys & keys) and _compatible(subject, c)
    ]
    best: Match | None = None
    for candidate, score in _similarities(subject, related):
        if score < _threshold(subject, candidate, thresholds) or (best is not None and score <= best.score):
            continue
        if conflict(subject, candidate) is None:
            best = Match(MatchKind.SIMILAR_TEXT, candidate.key, round(score, 4), f"similar description ({score:.2f})")
    return best


def conflict(a: Subject, b: Subject) -> str | None:
    """A declared fact on which two reports disagree, so that however alike their words they are different
    flaws; None when nothing they both declare disagrees. Each rule needs both sides to declare the fact."""
    declared = (
        ("location", a.location.key, b.location.key, False),
        ("CWE", a.cwe, b.cwe, True),
        ("fixed versions", a.fixed, b.fixed, True),
        ("CVSS vectors", a.cvss, b.cvss, False),
    )
    for what, mine, theirs, show in declared:
        if mine and theirs and mine != theirs:
            return f"different {what} ({mine}, {theirs})" if show else f"different {what}"
    if a.name == b.name and disjoint_ranges(a, b):
        return "affected version ranges do not overlap"
    if a.commits and b.commits and not _same_commit(a.commits, b.commits):
        return "fixed by different commits"
    if a.mentioned_versions and b.mentioned_versions and a.mentioned_versions != b.mentioned_versions:
        return "the texts name different versions"
    return _names_other_product(a, b)


def disjoint_ranges(a: Subject, b: Subject) -> bool:
    """Both declare affected ranges of plain dotted versions, and no version lies in both."""
    a_start, a_end, a_inclusive = a.versions
    b_start, b_end, b_inclusive = b.versions
    if a_start is None or b_start is None:
        return False
    if a_end is not None and not _before(a_start, a_end, inclusive=a_inclusive):
        return False  # a malformed range (its end before its start) tells nothing
    if b_end is not None and not _before(b_start, b_end, inclusive=b_inclusive):
        return False
    return (a_end is not None and not _before(b_start, a_end, inclusive=a_inclusive)) or (
        b_end is not None and not _before(a_start, b_end, inclusive=b_inclusive)
    )


def _before(start: tuple[int, ...], end: tuple[int, ...], *, inclusive: bool) -> bool:
    """Whether version ``start`` lies before the range's ``end`` (at or before it when ``inclusive``)."""
    width = max(len(start), len(end))
    s, e = start + (0,) * (width - len(start)), end + (0,) * (width - len(end))
    return s <= e if inclusive else s < e


def _numeric(version: str | None) -> tuple[int, ...] | None:
    match = _VERSION.fullmatch(version.strip()) if version else None
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def _same_commit(a: frozenset[str], b: frozenset[str]) -> bool:
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _names_other_product(a: Subject, b: Subject) -> str | None:
    """Different products, and one report's text names its own product where the other's does not: two
    look-alike notices about two packages (a malware cluster, a family of unmaintained crates), not one flaw in a
    component that several products ship (whose name both texts carry)."""
    if a.product == b.product or a.name is None or b.name is None or a.name == b.name:
        return None
    a_text, b_text = _normal(a.text), _normal(b.text)
    for own, own_text, other_text in ((a.name, a_text, b_text), (b.name, b_text, a_text)):
        if len(own) >= 3 and _mentions(own_text, own) and not _mentions(other_text, own):
            return f"only one report names {own}"
    return None


def _normal(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text.lower())


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text) is not None


def _threshold(a: Subject, b: Subject, thresholds: Thresholds) -> float:
    return thresholds.similar if a.product_tokens & b.product_tokens else thresholds.other_product


def _compatible(a: Subject, b: Subject) -> bool:
    """A candidate is ruled out when both sides name a location and the locations differ."""
    return a.location.key is None or b.location.key is None or a.location.key == b.location.key


def _similarities(subject: Subject, candidates: Sequence[Subject]) -> list[tuple[Subject, float]]:
    if not candidates or not subject.bag:
        return []
    bags = [c.bag for c in candidates]
    idf = _idf([subject.bag, *bags])
    vector = _weigh(subject.bag, idf)
    return [(c, _cosine(vector, _weigh(bag, idf))) for c, bag in zip(candidates, bags, strict=True)]


def _idf(bags: Iterable[Counter[str]]) -> dict[str, float]:
    frequency: Counter[str] = Counter()
    total = 0
    for bag in bags:
        total += 1
        frequency.update(bag.keys())
    return {word: math.log((1 + total) / (1 + count)) + 1.0 for word, count in frequency.items()}


def _weigh(bag: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    return {word: (1.0 + math.log(count)) * idf[word] for word, count in bag.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(word, 0.0) for word, weight in a.items())
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm if norm else 0.0
