"""Pure statistics for capability profiles: Wilson score intervals and the unbiased pass@k estimator."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist


def wilson_interval(successes: float, trials: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (good at small n and at 0 or 1).

    ``successes`` may be fractional (a mean of per-sample rates times ``trials``): values in [0, 1] have a
    variance of at most p(1-p), so the interval stays valid, if conservative."""
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if trials == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # at 0 and at n successes the bound is exactly 0 (or 1): rounding must not lift it off chance
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k attempts drawn from n (c of them correct) is correct:
    ``1 - C(n-c, k) / C(n, k)`` (Chen et al., 2021), computed as a stable product."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(attempts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given as ``(n, c)`` pairs."""
    if not attempts:
        raise ValueError("no problems to average over")
    return sum(pass_at_k(n, c, k) for n, c in attempts) / len(attempts)
