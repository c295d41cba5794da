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
