"""approx.engine.subset_sum: every solver against the brute-force oracle, the fast paths against
each other, the properties every answer must have, chunking, argument validation, and the benchmark
script's smoke run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.engine.subset_sum import (
    SOLVERS,
    SubsetSumResult,
    exact_in_memory,
    max_coefficients,
    result,
    solve,
)
from approx.engine.subset_sum._numba_mitm import workspace_bytes
from approx.engine.subset_sum._torch_mitm import exact_torch

from .support import TOL, generator, seeds
from .support import subset_sum_instances as instances

F64 = torch.float64
ROOT = Path(__file__).resolve().parents[1]


def torch_exact(coeffs, targets, valid, memory_budget=2**30) -> SubsetSumResult:
    return result(coeffs, targets, exact_torch(coeffs, targets, valid, memory_budget))


def check_answer(res: SubsetSumResult, coeffs, targets, valid) -> None:
    """What every method must return: chosen within valid, value and error recomputed."""
    m, k = coeffs.shape
    assert res.chosen.shape == (m, k) and res.chosen.dtype == torch.bool
    assert not (res.chosen & ~valid).any()
    assert res.value.dtype == coeffs.dtype and res.value.device == coeffs.device
    assert torch.equal(res.value, (coeffs * res.chosen).sum(1))
    assert torch.equal(res.error, (res.value - targets).abs())


# --- exact against the oracle ------------------------------------------------------------------


@given(
    seed=seeds,
    m=st.integers(0, 30),
    k=st.integers(0, 14),
    p_valid=st.sampled_from([0.0, 0.3, 0.7, 1.0]),
)
def test_exact_equals_brute_force(seed, m, k, p_valid):
    coeffs, targets, valid = instances(seed, m, k, p_valid)
    exact = solve(coeffs, targets, valid)
    brute = solve(coeffs, targets, valid, method="brute")
    check_answer(exact, coeffs, targets, valid)
    check_answer(brute, coeffs, targets, valid)
    assert torch.allclose(exact.error, brute.error, rtol=0, atol=TOL[F64])


@given(seed=seeds, k=st.integers(1, 16))
def test_exact_equals_brute_force_with_ties(seed, k):
    """Small-integer coefficients: many equal sums, and sums are exact in float64."""
    g = generator(seed)
    coeffs = torch.randint(-4, 5, (40, k), generator=g).to(F64)
    targets = torch.randint(-2 * k, 2 * k + 1, (40,), generator=g) / 2
    targets = targets.to(F64)
    exact = solve(coeffs, targets)
    brute = solve(coeffs, targets, method="brute")
    assert torch.equal(exact.error, brute.error)


def test_exact_known_answer():
    # 0.6 - 0.25 hits 0.35 exactly; 0.5 + 0.5 hits 1.0 where greedy (0.6 first) cannot.
    coeffs = torch.tensor([[0.6, -0.25, 0.4, 0.1], [0.6, 0.5, 0.5, 0.3]], dtype=F64)
    targets = torch.tensor([0.35, 1.0], dtype=F64)
    exact = solve(coeffs, targets)
    assert exact.chosen.tolist() == [[True, True, False, False], [False, True, True, False]]
    assert exact.error.tolist() == [0.0, 0.0]
    greedy = solve(coeffs, targets, method="greedy")
    assert greedy.chosen[1].tolist() == [True, True, False, False]
    assert greedy.error[1].item() == pytest.approx(0.1)


def test_few_valid_coefficients_in_wide_rows():
    """k = 60 columns but 12 valid per row: exact works (2^6 per half) and is optimal."""
    g = generator(7)
    m, k, c = 50, 60, 12
    coeffs = torch.rand(m, k, generator=g, dtype=F64) * 2 - 1
    targets = torch.rand(m, generator=g, dtype=F64) * 2 - 1
    cols = torch.rand(m, k, generator=g).argsort(1)[:, :c]  # (m, c) distinct columns per row
    valid = torch.zeros(m, k, dtype=torch.bool).scatter_(1, cols, True)
    exact = solve(coeffs, targets, valid)
    compact = coeffs.gather(1, cols)  # (m, c)
    brute = solve(compact, targets, method="brute")
    check_answer(exact, coeffs, targets, valid)
    assert torch.allclose(exact.error, brute.error, rtol=0, atol=TOL[F64])
    assert torch.allclose(torch_exact(coeffs, targets, valid).error, brute.error, atol=TOL[F64])


def test_float32_exact_equals_brute_force():
    coeffs, targets, valid = instances(3, 200, 12, dtype=torch.float32)
    exact = solve(coeffs, targets, valid)
    brute = solve(coeffs, targets, valid, method="brute")
    check_answer(exact, coeffs, targets, valid)
    assert torch.allclose(exact.error, brute.error, rtol=0, atol=TOL[torch.float32])


def test_large_m_against_vectorised_brute_force():
    """100,000 instances, k = 10: one wrong row in the parallel kernel would show."""
    coeffs, targets, valid = instances(11, 100_000, 10, p_valid=0.8)
    exact = solve(coeffs, targets, valid)
    brute = solve(coeffs, targets, valid, method="brute", memory_budget=2**27)
    check_answer(exact, coeffs, targets, valid)
    assert torch.allclose(exact.error, brute.error, rtol=0, atol=TOL[F64])


# --- the two exact implementations against each other ------------------------------------------


@given(seed=seeds, k=st.integers(0, 24), p_valid=st.sampled_from([0.5, 0.9, 1.0]))
def test_torch_mitm_equals_numba_kernel(seed, k, p_valid):
    coeffs, targets, valid = instances(seed, 8, k, p_valid)
    numba_res = solve(coeffs, targets, valid)
    torch_res = torch_exact(coeffs, targets, valid)
    check_answer(torch_res, coeffs, targets, valid)
    assert torch.allclose(numba_res.error, torch_res.error, rtol=0, atol=TOL[F64])


def test_torch_mitm_equals_numba_kernel_at_k40():
    coeffs, targets, _ = instances(5, 2, 40, p_valid=1.0)
    numba_res = solve(coeffs, targets)
    torch_res = torch_exact(coeffs, targets, torch.ones(2, 40, dtype=torch.bool))
    assert torch.allclose(numba_res.error, torch_res.error, rtol=0, atol=TOL[F64])


# --- properties of every method ------------------------------------------------------------------


@given(seed=seeds, m=st.integers(0, 20), k=st.integers(0, 12))
def test_exact_is_never_worse_than_greedy_and_greedy_never_worse_than_nothing(seed, m, k):
    coeffs, targets, valid = instances(seed, m, k)
    exact = solve(coeffs, targets, valid)
    greedy = solve(coeffs, targets, valid, method="greedy")
    check_answer(greedy, coeffs, targets, valid)
    assert (exact.error <= greedy.error + TOL[F64]).all()
    assert (greedy.error <= targets.abs() + TOL[F64]).all()


def test_exact_versus_milp():
    """HiGHS stops at a 1e-6 absolute gap (its default; docs/performance.md), so milp may trail
    exact by ~1e-6."""
    coeffs, targets, valid = instances(13, 20, 12, p_valid=1.0)
    exact = solve(coeffs, targets, valid)
    milp = solve(coeffs, targets, valid, method="milp")
    check_answer(milp, coeffs, targets, valid)
    assert (exact.error <= milp.error + 1e-9).all()
    assert (milp.error <= exact.error + 1e-5).all()


def options(method: str) -> dict:
    """The keywords `method` needs beyond the common ones (fewest: its tolerance; fixed: its
    subset size)."""
    return {"fewest": {"tolerance": 0.01}, "fixed": {"size": 2}}.get(method, {})


@pytest.mark.parametrize("method", SOLVERS)
def test_every_method_handles_empty_and_degenerate_shapes(method):
    for m, k in [(0, 0), (0, 5), (3, 0), (3, 1)]:
        coeffs, targets, valid = instances(1, m, k)
        res = solve(coeffs, targets, valid, method=method, **options(method))
        check_answer(res, coeffs, targets, valid)
        if k == 0:
            assert torch.equal(res.error, targets.abs())


def test_inputs_are_left_untouched():
    coeffs, targets, valid = instances(2, 30, 8)
    copies = coeffs.clone(), targets.clone(), valid.clone()
    for method in SOLVERS:
        solve(coeffs, targets, valid, method=method, **options(method))
    assert all(torch.equal(a, b) for a, b in zip((coeffs, targets, valid), copies, strict=True))


# --- memory budget -------------------------------------------------------------------------------


def test_tiny_memory_budget_gives_identical_results():
    coeffs, targets, valid = instances(4, 64, 12)
    # Room for one worker (exact) or the shared bit table (brute), plus three rows.
    tiny = {
        "exact": workspace_bytes(12) + 3 * (9 * 12 + 8),
        "greedy": 3 * (40 * 12 + 64),
        "brute": 13 * 12 * 2**12 + 3 * (16 * 2**12 + 16 * 12 + 8),
    }
    for method, budget in tiny.items():
        big = solve(coeffs, targets, valid, method=method)
        small = solve(coeffs, targets, valid, method=method, memory_budget=budget)
        assert torch.equal(big.chosen, small.chosen), method
        with pytest.raises(InvalidArgument, match="memory_budget"):
            # a quarter of it, and below one exact worker's workspace (256 bytes at c = 0)
            solve(coeffs, targets, valid, method=method, memory_budget=min(budget // 4, 200))
    # The torch path slices half A when one row does not fit.
    big = torch_exact(coeffs, targets, valid)
    small = torch_exact(coeffs, targets, valid, memory_budget=8_000)
    assert torch.allclose(big.error, small.error, rtol=0, atol=TOL[F64])


def test_max_coefficients_and_what_fits_the_budget():
    assert max_coefficients("exact") == 62  # the bit-mask width; memory does not bind it
    assert exact_in_memory() == 48  # the documented single-pass size at the default budget
    assert max_coefficients("brute") == 20
    assert max_coefficients("greedy") is None and max_coefficients("milp") is None
    coeffs, targets, _ = instances(6, 1, 63, p_valid=1.0)
    with pytest.raises(InvalidArgument, match=r"^coeffs has a row with 63"):
        solve(coeffs, targets)
    with pytest.raises(InvalidArgument, match=r"^method"):
        max_coefficients("gurobi")


@given(seed=seeds, extra=st.integers(1, 4))
def test_rows_beyond_the_budget_are_solved_exactly_by_enumeration(seed, extra):
    """A budget that fits only c valid coefficients at once; rows with up to c + 4 valid go
    through the enumeration of their excess choices and must still match brute force."""
    budget = next(b for b in (2**k for k in range(10, 30)) if exact_in_memory(b) >= 8)
    c = exact_in_memory(budget)
    assert c <= 16
    coeffs, targets, valid = instances(seed, 6, min(c + extra, 20), p_valid=1.0)
    valid[0, : c // 2] = False  # one row that fits, the others do not
    got = solve(coeffs, targets, valid, memory_budget=budget)
    want = solve(coeffs, targets, valid, method="brute")
    check_answer(got, coeffs, targets, valid)
    assert torch.allclose(got.error, want.error, rtol=0, atol=TOL[F64])


# --- argument validation -------------------------------------------------------------------------


def _args(**change):
    coeffs, targets, valid = instances(0, 4, 3)
    args = {"coeffs": coeffs, "targets": targets, "valid": valid}
    args.update(change)
    return args


def _one_row(k: int) -> dict:
    return {
        "coeffs": torch.zeros(1, k, dtype=F64),
        "targets": torch.zeros(1, dtype=F64),
        "valid": None,
    }


NAN = float("nan")
BAD = [
    ("coeffs", {"coeffs": [[0.1, 0.2, 0.3]] * 4}, {}),
    ("coeffs", {"coeffs": torch.zeros(4, dtype=F64)}, {}),
    ("coeffs", {"coeffs": torch.zeros(4, 3, dtype=torch.int64)}, {}),
    ("coeffs", {"coeffs": torch.zeros(4, 3, dtype=torch.float16)}, {}),
    ("coeffs", {"coeffs": torch.tensor([[NAN, 0, 0]] + [[0, 0, 0]] * 3, dtype=F64)}, {}),
    ("coeffs", {"coeffs": torch.full((4, 3), float("inf"), dtype=F64)}, {}),
    ("targets", {"targets": torch.zeros(5, dtype=F64)}, {}),
    ("targets", {"targets": torch.zeros(4, dtype=torch.float32)}, {}),
    ("targets", {"targets": torch.full((4,), NAN, dtype=F64)}, {}),
    ("targets", {"targets": 0.5}, {}),
    ("valid", {"valid": torch.ones(4, 2, dtype=torch.bool)}, {}),
    ("valid", {"valid": torch.ones(4, 3)}, {}),
    ("valid", {"valid": [[True] * 3] * 4}, {}),
    ("method", {}, {"method": "gurobi"}),
    ("memory_budget", {}, {"memory_budget": 0}),
    ("memory_budget", {}, {"memory_budget": 1.5}),
    ("memory_budget", {}, {"memory_budget": True}),
    ("memory_budget", {}, {"memory_budget": 1}),  # one instance does not fit
    ("coeffs", _one_row(21), {"method": "brute"}),  # brute force stops at k = 20
    ("coeffs", _one_row(70), {}),  # more valid coefficients than the kernel's masks hold
]


@pytest.mark.parametrize(("name", "change", "options"), BAD)
def test_bad_input_raises_invalid_argument_naming_it(name, change, options):
    with pytest.raises(InvalidArgument, match=rf"^{name}\b"):
        solve(**_args(**change), **options)


def test_unknown_method_lists_the_solvers():
    with pytest.raises(InvalidArgument, match="greedy"):
        solve(**_args(), method="gurobi")


# --- CUDA ----------------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_exact_equals_cpu_exact():
    coeffs, targets, valid = instances(9, 500, 20, p_valid=0.9)
    cpu = solve(coeffs, targets, valid)
    dev = [t.cuda() for t in (coeffs, targets, valid)]
    for method in ("exact", "greedy", "brute"):
        res = solve(*dev, method=method, memory_budget=2**29)
        assert res.chosen.is_cuda and res.value.is_cuda
        check_answer(res, *dev)
        if method != "greedy":
            assert torch.allclose(res.error.cpu(), cpu.error, rtol=0, atol=TOL[F64])


# --- benchmark smoke run -------------------------------------------------------------------------


def test_benchmark_quick_run_ends_with_json():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_subset_sum.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    for row in figures["sizes"]:
        assert row["exact_inst_per_s"] > 0
        assert 0 <= row["greedy_optimal_fraction"] <= 1


def test_valid_counts_equal_the_sum_of_the_mask():
    """The uint8 count against `valid.sum(1)`: random masks, a transposed (non-contiguous)
    one, no rows, no columns, and a non-bool mask."""
    from approx.engine.subset_sum import valid_counts

    g = torch.Generator().manual_seed(0)
    masks = [
        torch.rand(300, 42, generator=g) < 0.5,
        (torch.rand(42, 300, generator=g) < 0.3).T,
        torch.zeros(0, 5, dtype=torch.bool),
        torch.zeros(4, 0, dtype=torch.bool),
        torch.ones(3, 1000, dtype=torch.bool),
        (torch.rand(7, 9, generator=g) < 0.5).to(torch.int64),
    ]
    for m in masks:
        got = valid_counts(m)
        assert got.dtype == torch.int64 and torch.equal(got, (m != 0).sum(1))
