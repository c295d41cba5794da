"""Logarithms of ratios that stay finite where the ratio itself does not (no torch here).

`ln(d_{i-1} d_i l / min(ε, δ))` overflows to inf for a subnormal ε (1e-320) although its
logarithm is an ordinary number; widths' products can exceed a float as Python integers.
"""

from __future__ import annotations

import math


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
