"""Binomial confidence intervals for the Monte Carlo checks."""

from __future__ import annotations

from scipy.stats import beta


def clopper_pearson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Exact two-sided interval for a binomial proportion: it covers the true p with
    probability ≥ `confidence` whatever p is (conservative, never below the nominal level)."""
    assert 0 <= successes <= trials and trials > 0, (successes, trials)
    alpha = 1.0 - confidence
    lo = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    hi = (
        1.0
        if successes == trials
        else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    )
    return lo, hi


def fmt_interval(lo: float, hi: float) -> str:
    return f"[{lo:.4g}, {hi:.4g}]"
