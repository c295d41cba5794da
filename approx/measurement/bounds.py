"""Bounds that are not one construction's: lower bounds on what any random network needs,
and the per-weight tolerance that turns weight errors into a certified network error.

Each function names the paper and theorem it implements and says which constants are the
paper's and which are ours. (Each construction's own width formula lives in its module.)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from ..basics.errors import check_open_unit


def packing_lower_bound_params(d_out: int, d_in: int, eps: float) -> float:
    """Pensia et al. 2020, Theorem 2: a random network whose subnetworks ε-approximate every
    linear map `W` with `||W||_2 ≤ 1` (each w.p. ≥ ½) has `m ≥ d² log2(1/(2ε)) − 1`
    parameters, stated for `d × d`; the same packing count for a `d_out × d_in` map gives
    `d_out · d_in · log2(1/(2ε)) − 1`. Meaningful for ε < ½."""
    check_open_unit("eps", eps)
    return d_out * d_in * math.log2(1 / (2 * eps)) - 1


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
