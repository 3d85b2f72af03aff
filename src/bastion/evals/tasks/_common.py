"""Helpers shared by the task modules: sample limits and a deterministic mix of sources."""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import chain, zip_longest
from typing import TypeVar

from inspect_ai import Epochs

from bastion.evals.errors import InvalidEvalRequest

T = TypeVar("T")

DEFAULT_LIMIT = 20
PASS_AT = (1, 5)  # the pass@k that Inspect reduces epochs to (the profile computes every k itself)


def check_limit(limit: int | None) -> int | None:
    if limit is not None and limit < 1:
        raise InvalidEvalRequest(f"limit must be a positive number of samples, got {limit}", hint="e.g. limit=10")
    return limit


def check_choice(name: str, value: str, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise InvalidEvalRequest(f"unknown {name} {value!r}", hint=f"use one of: {', '.join(allowed)}")
    return value


def shuffled(items: Sequence[T], seed: int) -> list[T]:
    out = list(items)
    random.Random(seed).shuffle(out)  # noqa: S311 - a reproducible sample order, not cryptography
    return out


def interleave(*groups: Sequence[T]) -> list[T]:
    """Round-robin over the groups so that a small limit still draws from each of them."""
    sentinel = object()
    mixed = chain.from_iterable(zip_longest(*groups, fillvalue=sentinel))
    return [item for item in mixed if item is not sentinel]  # type: ignore[misc]


def take(items: list[T], limit: int | None) -> list[T]:
    return items if limit is None else items[:limit]


def epochs_with_pass_at(epochs: int) -> Epochs:
    """``epochs`` attempts per sample, reduced to pass@k for each k in ``PASS_AT`` that the attempts allow."""
    if epochs < 1:
        raise InvalidEvalRequest(f"epochs must be at least 1, got {epochs}")
    return Epochs(epochs, [f"pass_at_{k}" for k in PASS_AT if k <= epochs])
