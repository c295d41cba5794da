"""approx.engine.subset_sum._milp: HiGHS gets instances far from unit magnitude scaled by a power
of two (the same problem in float64), and every other instance exactly as given."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

import approx.engine.subset_sum._milp as milp_module
from approx.engine.subset_sum import solve
from approx.engine.subset_sum._milp import MILP_HIGH, MILP_LOW, highs_scale

from .support import generator, seeds
from .support import subset_sum_instances as instances

F64 = torch.float64
HIGHS_GAP = 1e-6  # HiGHS's default absolute MIP gap (scipy does not expose it)


def _rows(coeffs, targets, valid):
    """(c, target) per row as `milp` hands them on: the valid coefficients in float64."""
    return [(coeffs[r][valid[r]].numpy(), float(targets[r])) for r in range(len(targets))]


def test_ordinary_instances_reach_highs_bit_for_bit(monkeypatch):
    """U[-1, 1] rows (4 to 12 valid coefficients) are not scaled: the arrays HiGHS receives
    are the input's own bits, and the subsets equal those of the same call with scaling
    disabled (the code path before scaling existed)."""
    coeffs, targets, valid = instances(3, 16, 12, p_valid=0.6)
    valid[:, :4] = True
    valid[0] = True
    seen = []
    solve_one = milp_module._solve_one
    monkeypatch.setattr(
        milp_module, "_solve_one", lambda c, t: seen.append((c.copy(), t)) or solve_one(c, t)
    )
    scaled = solve(coeffs, targets, valid, method="milp")
    assert len(seen) == len(targets)
    for (c, t), (c0, t0) in zip(seen, _rows(coeffs, targets, valid), strict=True):
        assert c.tobytes() == c0.tobytes() and t == t0
    monkeypatch.setattr(milp_module, "highs_scale", lambda c, t: 1.0)
    unscaled = solve(coeffs, targets, valid, method="milp")
    assert torch.equal(scaled.chosen, unscaled.chosen)
    assert torch.equal(scaled.value, unscaled.value)


def test_highs_scale_is_a_power_of_two_into_unit_range():
    """Outside [MILP_LOW, MILP_HIGH] the factor is 2^j (exact: the scaled coefficients times
    2^-j give the input back bit for bit) and puts the largest magnitude in [1/2, 1); inside,
    on its edges and for an all-zero instance, 1.0."""
    g = generator(11)
    for size in [1e-300, 1e-14, 3e-9, MILP_LOW / 2, 2.5 * MILP_HIGH, 1e11, 9.9e14, 1e300]:
        c = (torch.rand(7, generator=g, dtype=F64) * 2 - 1).numpy() * size
        for target in (0.0, float(c[0]) * 1.5):
            s = highs_scale(c, target)
            assert s != 1.0 and math.frexp(s)[0] == 0.5  # a power of two
            big = max(np.abs(c * s).max(), abs(target * s))
            assert 0.5 <= big < 1.0
            assert ((c * s) / s).tobytes() == c.tobytes()
    for size in [MILP_LOW, 0.01, 1.0, 1000.0, 1e5, MILP_HIGH]:
        c = np.array([size, -size / 3])
        assert highs_scale(c, 0.1 * size) == 1.0
    assert highs_scale(np.zeros(3), 0.0) == 1.0
    assert highs_scale(np.zeros(0), 0.5) == 1.0


def test_milp_matches_exact_on_the_instance_found_at_1e11():
    """HiGHS failed with 'Solve error' on this instance as given (found by the API fuzz); scaled
    by 2^-37 it solves it, to exact's optimum within its gap at that scale."""
    coeffs = torch.tensor(
        [[96089725544.86542, -2516522741.405036, -94186118117.77762, -78042555782.06828]],
        dtype=F64,
    )
    targets = torch.tensor([16863314308.840227], dtype=F64)
    milp = solve(coeffs, targets, method="milp")
    exact = solve(coeffs, targets, method="exact")
    assert float(milp.error[0]) <= float(exact.error[0]) + HIGHS_GAP * 2.0**37


@given(seed=seeds, exponent=st.integers(min_value=-14, max_value=14), k=st.integers(1, 8))
def test_milp_error_is_exact_up_to_the_gap_at_its_scale(seed, exponent, k):
    """At every magnitude 1e-14..1e14, milp's error is within HiGHS's absolute gap of the
    optimum in the problem HiGHS solved, i.e. `1e-6 / scale` of the original (before scaling,
    from 1e9 up HiGHS missed the optimum by up to half the instance's size, or failed)."""
    coeffs, targets, valid = instances(seed, 3, k, p_valid=0.8)
    coeffs, targets = coeffs * 10.0**exponent, targets * 10.0**exponent
    milp = solve(coeffs, targets, valid, method="milp")
    exact = solve(coeffs, targets, valid, method="exact")
    for r, (c, t) in enumerate(_rows(coeffs, targets, valid)):
        gap = HIGHS_GAP / highs_scale(c, t)
        rounding = 1e-12 * max(float(np.abs(c).sum()), abs(t))
        assert float(exact.error[r]) <= float(milp.error[r]) + rounding
        assert float(milp.error[r]) <= float(exact.error[r]) + gap + rounding
