"""approx.engine.subset_sum method="fewest": the sparsest subset within a tolerance, against a
brute-force oracle, its relation to the exact optimum, the memory-budget paths, and its
argument validation."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.cli import main
from approx.engine.subset_sum import fewest_in_memory, max_coefficients, solve
from approx.engine.subset_sum._brute import subset_bits
from approx.engine.subset_sum._numba_fewest import workspace_bytes
from approx.measurement.bounds import default_weight_tolerance
from approx.pipeline.run import run

from .support import TOL, generator, seeds
from .support import subset_sum_instances as instances

F64 = torch.float64
tolerances = st.sampled_from([1e-3, 1e-2, 0.05, 0.3])


def oracle(coeffs, targets, valid, tol):
    """Per row by enumeration of all 2^k subsets: (kept, error) of the answer `fewest` must
    give — the fewest kept among the subsets within tol and the least error among those, or the
    least error of all when none is within tol."""
    m, k = coeffs.shape
    bits = subset_bits(k, coeffs.device)  # (2^k, k)
    kept, error = [], []
    for r in range(m):
        subsets = bits[~(bits & ~valid[r]).any(1)]  # (s, k): subsets of the valid columns
        err = ((subsets.to(F64) * coeffs[r].to(F64)).sum(1) - targets[r].to(F64)).abs()
        size = subsets.sum(1)
        close = err <= tol
        if close.any():
            fewest = size[close].min()
            best = err[close & (size == fewest)].min()
        else:
            best = err.min()
            fewest = size[err == best].min()
        kept.append(int(fewest))
        error.append(float(best))
    return torch.tensor(kept), torch.tensor(error, dtype=F64)


def check_against_oracle(res, coeffs, targets, valid, tol, atol=TOL[F64]):
    assert not (res.chosen & ~valid).any()
    assert torch.equal(res.value, (coeffs * res.chosen).sum(1))
    kept, error = oracle(coeffs, targets, valid, tol)
    close = error <= tol
    # Within tol the count is the definition; beyond it only the error is (ties in error
    # between subsets of different sizes are measure-zero for continuous coefficients).
    assert torch.equal(res.chosen.sum(1)[close], kept[close])
    assert torch.allclose(res.error.to(F64), error, rtol=0, atol=atol)


@given(
    seed=seeds,
    m=st.integers(0, 25),
    k=st.integers(0, 13),
    p_valid=st.sampled_from([0.0, 0.5, 0.8, 1.0]),
    tol=tolerances,
)
def test_fewest_equals_brute_force(seed, m, k, p_valid, tol):
    coeffs, targets, valid = instances(seed, m, k, p_valid)
    res = solve(coeffs, targets, valid, method="fewest", tolerance=tol)
    check_against_oracle(res, coeffs, targets, valid, tol)


@given(seed=seeds, k=st.integers(1, 12), tol=st.sampled_from([0.5, 1.0, 1.5]))
def test_fewest_with_ties_on_small_integers(seed, k, tol):
    """Integer coefficients and half-integer targets: sums are exact in float64, many subsets
    share a size or an error, and tol is hit exactly (|error| == tol counts as within)."""
    g = generator(seed)
    coeffs = torch.randint(-4, 5, (30, k), generator=g).to(F64)
    targets = (torch.randint(-2 * k, 2 * k + 1, (30,), generator=g) / 2).to(F64)
    valid = torch.ones(30, k, dtype=torch.bool)
    res = solve(coeffs, targets, method="fewest", tolerance=tol)
    kept, error = oracle(coeffs, targets, valid, tol)
    close = error <= tol
    assert torch.equal(res.chosen.sum(1)[close], kept[close])
    assert torch.equal(res.error, error)


@given(seed=seeds, k=st.integers(1, 22), tol=tolerances)
def test_fewest_is_sparser_than_exact_and_as_good_within_tolerance(seed, k, tol):
    """Property at sizes beyond the oracle: whenever the optimum is within tol, fewest keeps at
    most as many and is within tol too; otherwise both are the optimum."""
    coeffs, targets, valid = instances(seed, 40, k, p_valid=0.9)
    exact = solve(coeffs, targets, valid)
    fewest = solve(coeffs, targets, valid, method="fewest", tolerance=tol)
    close = exact.error <= tol
    assert (fewest.chosen.sum(1)[close] <= exact.chosen.sum(1)[close]).all()
    assert (fewest.error[close] <= tol).all()
    assert torch.allclose(fewest.error[~close], exact.error[~close], rtol=0, atol=TOL[F64])


def test_fewest_known_answer():
    # Row 0: 0.9 alone is within 0.15 of 1.0; the optimum 0.6 + 0.4 keeps two.
    # Row 1: nothing within 0.01 of 5.0: the optimum, all three.
    coeffs = torch.tensor([[0.6, 0.4, 0.9], [0.6, 0.4, 0.9]], dtype=F64)
    targets = torch.tensor([1.0, 5.0], dtype=F64)
    res = solve(coeffs, targets, method="fewest", tolerance=0.15)
    assert res.chosen.tolist() == [[False, False, True], [True, True, True]]
    exact = solve(coeffs, targets)
    assert exact.chosen[0].tolist() == [True, True, False]


def test_fewest_float32_and_large_m():
    """float32 inputs (searched in float64) and 50,000 rows through the parallel kernel."""
    coeffs, targets, valid = instances(8, 300, 10, dtype=torch.float32)
    res = solve(coeffs, targets, valid, method="fewest", tolerance=0.02)
    assert res.value.dtype == torch.float32
    check_against_oracle(res, coeffs, targets, valid, 0.02, atol=TOL[torch.float32])
    coeffs, targets, valid = instances(9, 50_000, 8, p_valid=0.9)
    res = solve(coeffs, targets, valid, method="fewest", tolerance=0.01)
    check_against_oracle(res, coeffs, targets, valid, 0.01)


@given(seed=seeds, extra=st.integers(1, 3), tol=tolerances)
def test_fewest_rows_beyond_the_budget_by_enumeration(seed, extra, tol):
    """A budget that fits c valid coefficients at once; rows with up to c + 3 go through the
    enumeration of their excess choices and must still match the oracle."""
    budget = next(b for b in (2**k for k in range(10, 30)) if fewest_in_memory(b) >= 8)
    c = fewest_in_memory(budget)
    assert c <= 14
    coeffs, targets, valid = instances(seed, 5, min(c + extra, 16), p_valid=1.0)
    valid[0, : c // 2] = False  # one row that fits, the others do not
    res = solve(coeffs, targets, valid, method="fewest", tolerance=tol, memory_budget=budget)
    check_against_oracle(res, coeffs, targets, valid, tol)


def test_fewest_tiny_budget_gives_identical_results():
    coeffs, targets, valid = instances(4, 64, 12)
    big = solve(coeffs, targets, valid, method="fewest", tolerance=0.01)
    budget = workspace_bytes(12) + 3 * (9 * 12 + 8)  # one worker, three rows per chunk
    small = solve(coeffs, targets, valid, method="fewest", tolerance=0.01, memory_budget=budget)
    assert torch.equal(big.chosen, small.chosen)
    assert max_coefficients("fewest") == 62
    assert fewest_in_memory() == 46  # the documented single-pass size at the default budget


@pytest.mark.parametrize(
    ("tolerance", "method"),
    [(None, "fewest"), (0.0, "fewest"), (-1e-3, "fewest"), (float("nan"), "fewest"),
     (float("inf"), "fewest"), ("0.1", "fewest"), (True, "fewest"), (0.1, "exact"),
     (0.1, "greedy")],
)  # fmt: skip
def test_bad_tolerance_raises_invalid_argument_naming_it(tolerance, method):
    coeffs, targets, valid = instances(0, 4, 3)
    with pytest.raises(InvalidArgument, match=r"^tolerance\b"):
        solve(coeffs, targets, valid, method=method, tolerance=tolerance)


def test_too_many_valid_coefficients_names_coeffs():
    coeffs, targets, _ = instances(6, 1, 63, p_valid=1.0)
    with pytest.raises(InvalidArgument, match=r"^coeffs has a row with 63"):
        solve(coeffs, targets, method="fewest", tolerance=0.1)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fewest_equals_cpu_fewest():
    coeffs, targets, valid = instances(9, 500, 16, p_valid=0.9)
    cpu = solve(coeffs, targets, valid, method="fewest", tolerance=1e-3)
    dev = solve(coeffs.cuda(), targets.cuda(), valid.cuda(), method="fewest", tolerance=1e-3)
    assert dev.chosen.is_cuda and torch.equal(dev.chosen.cpu(), cpu.chosen)


# --- wired into Pensia's construction ------------------------------------------------------------


def test_run_with_fewest_is_sparser_and_keeps_the_certified_guarantee():
    widths, eps = (6, 5, 3), 0.05
    exact = run(widths=widths, eps=eps, n=9, solver="exact", empirical_samples=64)
    fewest = run(widths=widths, eps=eps, n=9, solver="fewest", empirical_samples=64)
    tau = default_weight_tolerance(widths, eps)
    assert fewest.weight_tolerance == tau and exact.weight_tolerance is None
    assert fewest.kept_params < exact.kept_params
    # Every weight within tau, or at the same optimum as exact's.
    assert fewest.max_weight_error <= max(tau, exact.max_weight_error) + TOL[F64]
    loose = run(widths=widths, eps=eps, n=9, solver="fewest", weight_tolerance=0.05)
    assert loose.kept_params < fewest.kept_params
    assert loose.max_weight_error <= max(0.05, exact.max_weight_error) + TOL[F64]
    with pytest.raises(InvalidArgument, match=r"^weight_tolerance\b"):
        run(widths=widths, eps=eps, n=9, solver="exact", weight_tolerance=1e-3)


def test_default_weight_tolerance_keeps_the_certified_error_within_eps():
    """n = 20 for a 3-2-2 target: every weight reaches tau (~10 coefficients per sign), so the
    documented guarantee applies and the certified error must be <= eps."""
    widths, eps = (3, 2, 2), 0.5
    res = run(widths=widths, eps=eps, n=20, solver="fewest", empirical_samples=64)
    assert res.max_weight_error <= default_weight_tolerance(widths, eps)
    assert res.certified_error <= eps and res.certified_within_eps
    assert res.kept_params < run(widths=widths, eps=eps, n=20, empirical_samples=64).kept_params


def test_cli_run_with_fewest_and_weight_tol(capsys):
    code = main(
        ["run", "--widths", "4,3,2", "--n", "6", "--eps", "0.1", "--solver", "fewest",
         "--weight-tol", "0.01", "--samples", "32", "--json"]
    )  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["solver"] == "fewest" and out["weight_tolerance"] == 0.01
    assert "per-weight tolerance 0.01" in out["search"]
