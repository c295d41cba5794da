"""Logarithms of ratios that stay finite where the ratio itself does not (no torch here).

`ln(d_{i-1} d_i l / min(ε, δ))` overflows to inf for a subnormal ε (1e-320) although its
logarithm is an ordinary number; widths' products can exceed a float as Python integers.
"""

from __future__ import annotations

import math

from .errors import InvalidArgument


def log_ratio(numerator: float, denominator: float, log=math.log) -> float:
    """`ln(numerator / denominator)` (or `log`'s, e.g. `math.log2`) for positive arguments: the
    plain quotient where it is a finite non-zero float (so ordinary arguments give exactly the
    bits they always gave), else the difference of the logarithms (`math.log` and `math.log2`
    take integers of any size)."""
    try:
        q = numerator / denominator
    except OverflowError:
        q = math.inf
    if 0 < q < math.inf:
        return log(q)
    return log(numerator) - log(denominator)


def ceil_count(value: float, **arguments: float) -> int:
    """`max(1, ⌈value⌉)` of a theorem's samples-per-weight formula in `arguments` (eps, delta,
    C, ...); refused naming them where the formula left the floats (C=1e308 or a subnormal eps
    makes it inf, and `math.ceil(inf)` raised OverflowError)."""
    if not math.isfinite(value):
        named = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        raise InvalidArgument(
            f"{named}: the theorem's samples per weight are not a finite number ({value}); "
            "take a larger eps or a smaller C"
        )
    return max(1, math.ceil(value))


# up to here comb(trials, c) and 2^trials are ordinary floats (comb(1000, 500) ~ 2.7e299)
_EXACT_BINOMIAL_TRIALS = 1000


def half_binomial_pmf(trials: int, floor: float = 0.0) -> tuple[tuple[int, float], ...]:
    """`(c, P[Binomial(trials, 1/2) = c])`, ascending in c, for the counts whose probability is
    at least `floor` (0: every count whose probability is not 0 in a float). Up to 1,000
    trials `comb(trials, c) / 2.0**trials` for every count, the bits the run estimates always
    used; beyond, `2.0**trials` overflows (an OverflowError) and trials + 1 exact binomial
    coefficients would take minutes, so each probability comes from `lgamma` and the counts
    are walked out from the mode only while the probability stays at least `floor` (a few
    times √trials counts; relative error ~1e-9 up to thousands of trials, ~0.3% at 1e12,
    where lgamma's value is ~2.6e13; the mode is always kept, so the tuple is never empty,
    where beyond ~6e11 trials not even the mode reaches a floor of 1e-6)."""
    if trials <= _EXACT_BINOMIAL_TRIALS:
        pmf = ((c, math.comb(trials, c) / 2.0**trials) for c in range(trials + 1))
        return tuple((c, p) for c, p in pmf if p >= floor and (floor > 0 or p > 0))
    log_all = math.lgamma(trials + 1) - trials * math.log(2)

    def p(c: int) -> float:
        return math.exp(log_all - math.lgamma(c + 1) - math.lgamma(trials - c + 1))

    def walk(c: int, step: int) -> list[tuple[int, float]]:
        out = []
        while 0 <= c <= trials and (q := p(c)) > 0 and q >= floor:
            out.append((c, q))
            c += step
        return out

    mode = trials // 2
    below, above = walk(mode - 1, -1), walk(mode + 1, 1)
    return (*reversed(below), (mode, p(mode)), *above)
