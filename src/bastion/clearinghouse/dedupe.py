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

The thresholds were chosen on the bench (``bench/bench_dedupe.py``, numbers in BENCHMARKS.md).
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
    """Chosen on the bench: below ``similar`` the false matches rise faster than the true ones; a conflict in a
    declared fact (fixed version, CWE, CVSS vector) means a different flaw however alike the words (on the
    bench, reports of the same vulnerability never disagreed on their CVSS vector)."""

    similar: float = 0.9  # cosine at or above which the same product's report is the same flaw
    other_product: float = 0.9  # the same wording filed against another product (a bundled component)
    other_fix: float = 2.0  # both declare a fixed version, and they differ: never by text alone
    other_cwe: float = 2.0  # both declare a CWE, and they differ: never by text alone
    other_cvss: float = 2.0  # both give a CVSS vector, and they differ: never by text alone


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
            if candidate.fingerprint == print_:
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
        if score >= _threshold(subject, candidate, thresholds) and (best is None or score > best.score):
            best = Match(MatchKind.SIMILAR_TEXT, candidate.key, round(score, 4), f"similar description ({score:.2f})")
    return best


def _threshold(a: Subject, b: Subject, thresholds: Thresholds) -> float:
    limit = thresholds.similar if a.product_tokens & b.product_tokens else thresholds.other_product
    if a.fixed and b.fixed and a.fixed != b.fixed:
        limit = max(limit, thresholds.other_fix)
    if a.cwe and b.cwe and a.cwe != b.cwe:
        limit = max(limit, thresholds.other_cwe)
    if a.cvss and b.cvss and a.cvss != b.cvss:
        limit = max(limit, thresholds.other_cvss)
    return limit


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
