"""Bounds that are not one construction's: lower bounds on what any random network needs,
and the per-weight tolerance that turns weight errors into a certified network error.

Each function names the paper and theorem it implements and says which constants are the
paper's and which are ours. (Each construction's own width formula lives in its module.)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from ..basics.errors import InvalidArgument, check_open_unit
from ..basics.safe_math import log_ratio
from ..constructions.natale import binary_entropy


def packing_lower_bound_params(d_out: int, d_in: int, eps: float) -> float:
    """Pensia et al. 2020, Theorem 2: a random network whose subnetworks ε-approximate every
    linear map `W` with `||W||_2 ≤ 1` (each w.p. ≥ ½) has `m ≥ d² log2(1/(2ε)) − 1`
    parameters, stated for `d × d`; the same packing count for a `d_out × d_in` map gives
    `d_out · d_in · log2(1/(2ε)) − 1`. Meaningful for ε < ½."""
    check_open_unit("eps", eps)
    return d_out * d_in * log_ratio(1, 2 * eps, math.log2) - 1


def default_weight_tolerance(widths: Sequence[int], eps: float) -> float:
    """Per-weight tolerance `τ = ε / (2 l sqrt(2 max_i d_{i-1} d_i))` for solver ``fewest``.

    If every realised weight of a half-line layer is within τ of its target (`|P − W|`,
    `|N − W|` entrywise), the layer error of `approx.measurement.certified.certified_error` is
    at most `||[P − W, N − W]||_2 ≤ ||[P − W, N − W]||_F ≤ τ sqrt(2 d_{i-1} d_i) ≤ ε / (2l)`,
    and with `||W_i||_2 ≤ 1` its recursion gives `1 + Δ_i ≤ (1 + e_i)(1 + Δ_{i-1})`, so the
    certified error is at most `(1 + ε/(2l))^l − 1 ≤ e^{ε/2} − 1 ≤ ε` for ε ≤ 1. Our choice
    (the Frobenius step is loose by up to sqrt(d): the guarantee holds whatever the errors'
    signs), not the paper's; weights no subset brings within τ keep their exact optimum.
    """
    tw = tuple(widths)
    depth = len(tw) - 1
    widest = max(a * b for a, b in itertools.pairwise(tw))
    return eps / (2 * depth * (2 * widest) ** 0.5)


def log_term(widths: Sequence[int], eps: float, delta: float) -> float:
    """`max_i ln(d_{i-1} d_i l / min(ε, δ))` (Pensia et al. 2020, Theorem 1's log factor)."""
    depth = len(widths) - 1
    return max(log_ratio(a * b * depth, min(eps, delta)) for a, b in itertools.pairwise(widths))


def _smallest_n(k: int, need: float, lo: int) -> int:
    """The smallest integer n ≥ lo with `n · H2(k/n) ≥ need`: doubling, then bisection
    (`n H2(k/n)` grows with n: its derivative is `−log2(1 − k/n) > 0`)."""

    def ok(n: int) -> bool:
        return n * binary_entropy(k / n) >= need

    if ok(lo):
        return lo
    hi = 2 * lo
    while not ok(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # lo fails, hi holds
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


def natale_lower_bound_n(d: int, k: int, eps: float) -> int:
    """Natale et al. 2024, Theorem 5: a random network of n parameters whose subnetworks of k
    parameters ε-approximate every `d × d` linear map with `||W|| ≤ √k` (each w.p. ≥ ½) has
    `n ≥ (d²/2) · log2(k/ε) / H2(k/n)`, stated for `1 ≤ k ≤ λ n`, λ = 1 − 1/(2π) ≈ 0.84,
    ε < 1/16. Returns the smallest such n ≥ k/λ (the condition is implicit in n)."""
    check_open_unit("eps", eps)
    if eps >= 1 / 16:
        raise InvalidArgument(f"eps={eps!r}: Theorem 5 is stated for eps < 1/16")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgument(f"k={k!r} must be a positive integer")
    lam = 1 - 1 / (2 * math.pi)
    return _smallest_n(k, d * d / 2 * log_ratio(k, eps, math.log2), math.ceil(k / lam))


def rfss_sufficient_n(k: int, eps: float, c: float) -> int:
    """Natale et al. 2024, Theorem 2's sample size for subsets of exactly k: the smallest n ≥ 2k
    (the theorem's k ≤ n/2) with `n ≥ c · log2(k/ε) / H2(k/n)`. The paper gives no value for
    its constant c_hyp; `c` is explicit (docs/sparse.md measures what it takes)."""
    check_open_unit("eps", eps)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgument(f"k={k!r} must be a positive integer")
    return _smallest_n(k, c * max(0.0, log_ratio(k, eps, math.log2)), 2 * k)
