"""Intervals and fits for the Monte Carlo counts and thresholds the experiments report.

Every interval says its level; every function is a textbook formula, named after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import beta, binom
from scipy.stats import t as student_t

from .errors import InvalidArgument

Z95 = 1.959963984540054  # standard normal 0.975 quantile


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% for the default z)."""
    if trials < 1 or not 0 <= successes <= trials:
        raise InvalidArgument(f"successes={successes}, trials={trials}: need 0 <= s <= t, t >= 1")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # exact ends at 0 and 1 (the formula gives them up to rounding)
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == trials else min(1.0, centre + half)
    return lo, hi


def clopper_pearson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion: it covers the true p with
    probability ≥ `confidence` whatever p is (conservative, never below the nominal level)."""
    if trials < 1 or not 0 <= successes <= trials:
        raise InvalidArgument(f"successes={successes}, trials={trials}: need 0 <= s <= t, t >= 1")
    alpha = 1.0 - confidence
    lo = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    hi = (
        1.0
        if successes == trials
        else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    )
    return lo, hi


def order_statistic_indices(s: int, p: float, level: float = 0.95) -> tuple[int, int, int]:
    """1-based (k, l, u) for the p-quantile from s values: the estimate is the k-th smallest,
    k = ⌈p·s⌉; [l-th, u-th smallest] covers the quantile with probability ≥ `level`, from
    B ~ Binomial(s, p) (the count of values below the quantile): l is the largest index with
    P(B < l) ≤ α, u the smallest with P(B ≥ u) ≤ α, α = (1 − level)/2. l = 0 or u = s + 1
    mean that side cannot be bounded by s values."""
    k = max(1, math.ceil(p * s - 1e-12))
    alpha = (1 - level) / 2
    l = max((j for j in range(1, s + 1) if binom.cdf(j - 1, s, p) <= alpha), default=0)
    u = min((j for j in range(1, s + 1) if binom.sf(j - 1, s, p) <= alpha), default=s + 1)
    return k, l, u


def quantile_interval(
    values: Sequence[float], p: float, level: float = 0.95
) -> tuple[float, float, float]:
    """(estimate, lo, hi) of the p-quantile from a sample (`order_statistic_indices`); lo is
    -inf and hi is inf where the sample cannot bound them. Values may be inf themselves."""
    v = sorted(values)
    k, l, u = order_statistic_indices(len(v), p, level)
    lo = v[l - 1] if l >= 1 else -math.inf
    hi = v[u - 1] if u <= len(v) else math.inf
    return v[k - 1], lo, hi


def fit_through_origin(points: Sequence[tuple[float, float]]) -> tuple[float, float, float]:
    """Least squares `y = c·x` over `points` (x, y), with a 95% t-interval from the residuals:
    (c, lo, hi). Needs at least two points."""
    if len(points) < 2:
        raise InvalidArgument(f"points has {len(points)} entries; a fit needs at least 2")
    sxx = sum(x * x for x, _ in points)
    c = sum(x * y for x, y in points) / sxx
    k = len(points)
    s2 = sum((y - c * x) ** 2 for x, y in points) / (k - 1)
    half = float(student_t.ppf(0.975, k - 1)) * math.sqrt(s2 / sxx)
    return c, c - half, c + half
