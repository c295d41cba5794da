"""The theorems' width formulas and lower bounds, with every constant explicit.

Each function names the paper and theorem it implements and says which constants are the
paper's and which are ours.
"""

from __future__ import annotations

import itertools
import math

from .errors import InvalidArgument, check_open_unit

# Pensia et al. prove n_i = C·log(d_{i-1} d_i l / min(ε, δ)) for "a universal constant C" they
# do not give. This default is OUR calibration for *random* targets (Uniform entries, each
# layer scaled to ||W_i||_2 = 1), not the paper's and not a worst-case constant:
# `approx tightness` over 40 seeds fits C = 2.44 (95% CI [2.26, 2.61]) for such targets
# 4-4 … 8-8-8 at ε = 0.1 … 0.01 (docs/experiments.md). It does NOT give the theorem's
# 1 − δ for every target in the class: a weight near ±1 in a narrow layer is the hard case
# (W = [[1]] at ε = δ = 0.01 fails on 553/1000 random nets at C = 2.5 and on 8/400 at C ≈ 6;
# tests/test_theorem_properties.py, docs/proofs_check.md). A C that large would push n past
# what the exact solver handles (2n ≤ 62) for most targets, so we keep the typical-case value
# and report the worst case as a finding.
DEFAULT_C = 2.5


def pensia_samples_per_weight(
    target_widths: tuple[int, ...], eps: float, delta: float, C: float = DEFAULT_C
) -> tuple[int, ...]:
    """Pensia et al. 2020, Theorem 1: `n_i = ⌈C · ln(d_{i-1} · d_i · l / min(ε, δ))⌉` per
    target layer i (natural log; the paper's O(·) hides the base in C)."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    if not (isinstance(C, (int, float)) and math.isfinite(C) and C > 0):
        raise InvalidArgument(f"C={C!r} must be a positive number")
    depth = len(target_widths) - 1
    return tuple(
        max(1, math.ceil(C * math.log(d_in * d_out * depth / min(eps, delta))))
        for d_in, d_out in itertools.pairwise(target_widths)
    )


def pensia_random_params(target_widths: tuple[int, ...], n: tuple[int, ...]) -> int:
    """Parameters of Pensia's depth-2l random net before pruning (Lemma 3):
    `Σ_i 2 d_{i-1}^2 n_i + 2 d_{i-1} d_i n_i`."""
    return sum(
        2 * d_in * d_in * n_i + 2 * d_in * d_out * n_i
        for d_in, d_out, n_i in zip(target_widths[:-1], target_widths[1:], n, strict=True)
    )


def packing_lower_bound_params(d_out: int, d_in: int, eps: float) -> float:
    """Pensia et al. 2020, Theorem 2: a random network whose subnetworks ε-approximate every
    linear map `W` with `||W||_2 ≤ 1` (each w.p. ≥ ½) has `m ≥ d² log2(1/(2ε)) − 1`
    parameters, stated for `d × d`; the same packing count for a `d_out × d_in` map gives
    `d_out · d_in · log2(1/(2ε)) − 1`. Meaningful for ε < ½."""
    check_open_unit("eps", eps)
    return d_out * d_in * math.log2(1 / (2 * eps)) - 1
