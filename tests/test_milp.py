"""approx.engine.subset_sum._milp: HiGHS gets instances far from unit magnitude scaled by a power
of two (the same problem in float64), and every other instance exactly as given; so it takes
every finite instance, subnormal to 1e307, and matches exact within its gap at that scale."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

import approx.engine.subset_sum._milp as milp_module
from approx.engine.subset_sum import solve
from approx.engine.subset_sum._milp import MILP_HIGH, MILP_LOW, highs_shift

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
    monkeypatch.setattr(milp_module, "highs_shift", lambda c, t: 0)
    unscaled = solve(coeffs, targets, valid, method="milp")
    assert torch.equal(scaled.chosen, unscaled.chosen)
    assert torch.equal(scaled.value, unscaled.value)


def test_highs_shift_is_a_power_of_two_into_unit_range():
    """Outside [MILP_LOW, MILP_HIGH] the instance is multiplied by 2^j, exactly (shifting back
    gives the input bit for bit), with its largest magnitude in [1/2, 1); for a subnormal
    instance too, where 2^j itself overflows float64; inside, on its edges and for an all-zero
    instance, j = 0."""
    g = generator(11)
    sizes = [5e-324, 1e-310, 1e-300, 1e-14, 3e-9, MILP_LOW / 2, 2.5 * MILP_HIGH, 1e11, 1e300]
    for size in [*sizes, 1.7976931348623157e308]:
        c = (torch.rand(7, generator=g, dtype=F64) * 2 - 1).numpy() * size
        c[0] = size
        for target in (0.0, float(c[1]) * 0.75, -size):
            j = highs_shift(c, target)
            assert j != 0
            big = max(np.abs(np.ldexp(c, j)).max(), abs(math.ldexp(target, j)))
            assert 0.5 <= big < 1.0
            assert np.ldexp(np.ldexp(c, j), -j).tobytes() == c.tobytes()
    for size in [MILP_LOW, 0.01, 1.0, 1000.0, 1e5, MILP_HIGH]:
        c = np.array([size, -size / 3])
        assert highs_shift(c, 0.1 * size) == 0
    assert highs_shift(np.zeros(3), 0.0) == 0
    assert highs_shift(np.zeros(0), 0.5) == 0


def _assert_within_gap(coeffs, targets, valid, milp, exact):
    """Row by row: milp's error is at least exact's and at most HiGHS's 1e-6 absolute gap in
    the scaled problem, `1e-6 · 2^-j` of the original, above it (plus float64 rounding)."""
    for r, (c, t) in enumerate(_rows(coeffs, targets, valid)):
        gap = math.ldexp(HIGHS_GAP, -highs_shift(c, t))
        rounding = 1e-12 * max(float(np.abs(c).sum()), abs(t))
        assert float(exact.error[r]) <= float(milp.error[r]) + rounding
        assert float(milp.error[r]) <= float(exact.error[r]) + gap + rounding


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
    _assert_within_gap(coeffs, targets, valid, milp, exact)


# 10^e for e in 15..307 (once refused: HiGHS cannot read a matrix entry of 1e15 or a target of
# 1e20 unscaled) and in -323..-15 (subnormal from -308: 2^j overflowed there, an OverflowError)
FAR_EXPONENTS = st.one_of(st.integers(15, 307), st.integers(-323, -15))


@given(seed=seeds, exponent=FAR_EXPONENTS, k=st.integers(1, 8))
def test_milp_matches_exact_far_from_unit_magnitude(seed, exponent, k):
    """Rows of U[-1, 1] coefficients and targets times 10^exponent: milp solves them, within
    HiGHS's gap at their scale of exact's optimum."""
    coeffs, targets, valid = instances(seed, 3, k, p_valid=0.8)
    coeffs, targets = coeffs * 10.0**exponent, targets * 10.0**exponent
    milp = solve(coeffs, targets, valid, method="milp")
    exact = solve(coeffs, targets, valid, method="exact")
    _assert_within_gap(coeffs, targets, valid, milp, exact)


@given(seed=seeds, k=st.integers(1, 8))
def test_milp_matches_exact_across_a_row_of_any_spread(seed, k):
    """Each coefficient and target at its own magnitude 10^-320..10^300 (a row spanning up to
    1e620: its small coefficients fall under HiGHS's 1e-9 drop tolerance, or to 0, once scaled):
    still within HiGHS's gap at the row's scale of exact's optimum."""
    g = generator(seed)
    coeffs, targets, valid = instances(seed, 3, k, p_valid=0.8)
    exponents = torch.randint(-320, 301, (3, k + 1), generator=g).to(F64)
    coeffs = coeffs * 10.0 ** exponents[:, :k]
    targets = targets * 10.0 ** exponents[:, k]
    milp = solve(coeffs, targets, valid, method="milp")
    exact = solve(coeffs, targets, valid, method="exact")
    _assert_within_gap(coeffs, targets, valid, milp, exact)


def test_highs_own_output_goes_to_stderr_not_into_the_results_stdout(capfd):
    # on this instance HiGHS prints "HighsMipSolverData::transformNewIntegerFeasibleSolution
    # tmpSolver.run();" to file descriptor 1, where `approx run --solver milp --json` writes
    c = torch.tensor([[0.16893256838419665, 0.26263871793232785, 0.5476539787984442,
                       0.1303104864190604, -0.5407241401938068, -0.26278356392033725,
                       -0.4647830426762948, -0.10791554324339743, -0.04585331372881726,
                       0.4829349621886822, -0.40609285703062203, 0.7225828678847742,
                       -0.7206700254163535, -0.1686916230891181, 0.13076017953641253,
                       -0.2163567098632549]], dtype=torch.float64)  # fmt: skip
    t = torch.tensor([-0.3421108324056477], dtype=torch.float64)
    capfd.readouterr()
    got = solve(c, t, method="milp")
    out, err = capfd.readouterr()
    assert out == ""
    assert "HighsMipSolverData" in err  # it did print: the instance still shows the problem
    want = solve(c, t, method="exact")
    assert float(got.error[0]) <= float(want.error[0]) + 1e-6
