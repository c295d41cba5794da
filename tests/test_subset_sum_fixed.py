"""approx.engine.subset_sum method="fixed": exactly `size` coefficients per row, against a
brute-force oracle, its relation to the exact optimum, the memory-budget path, and its argument
validation."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.engine.subset_sum import max_coefficients, solve
from approx.engine.subset_sum._brute import subset_bits
from approx.engine.subset_sum._fixed import fixed_in_memory, workspace_bytes

from .support import TOL, generator, seeds
from .support import subset_sum_instances as instances

F64 = torch.float64


def oracle(coeffs, targets, valid, size):
    """Per row by enumeration of all 2^k subsets: the least error over the subsets of the
    valid columns with exactly min(size, valid count) elements."""
    m, k = coeffs.shape
    bits = subset_bits(k, coeffs.device)  # (2^k, k)
    out = []
    for r in range(m):
        subsets = bits[~(bits & ~valid[r]).any(1)]  # (s, k): subsets of the valid columns
        subsets = subsets[subsets.sum(1) == min(size, int(valid[r].sum()))]
        err = ((subsets.to(F64) * coeffs[r].to(F64)).sum(1) - targets[r].to(F64)).abs()
        out.append(float(err.min()))
    return torch.tensor(out, dtype=F64)


def check_against_oracle(res, coeffs, targets, valid, size, atol=TOL[F64]):
    assert not (res.chosen & ~valid).any()
    assert torch.equal(res.chosen.sum(1), valid.sum(1).clamp(max=size))
    assert torch.equal(res.value, (coeffs * res.chosen).sum(1))
    best = oracle(coeffs, targets, valid, size)
    assert torch.allclose(res.error.to(F64), best, rtol=0, atol=atol)


@given(
    seed=seeds,
    m=st.integers(0, 12),
    k=st.integers(0, 12),
    p_valid=st.sampled_from([0.0, 0.5, 0.8, 1.0]),
    size=st.integers(0, 14),
)
def test_fixed_equals_brute_force(seed, m, k, p_valid, size):
    coeffs, targets, valid = instances(seed, m, k, p_valid)
    res = solve(coeffs, targets, valid, method="fixed", size=size)
    check_against_oracle(res, coeffs, targets, valid, size)


@given(seed=seeds, k=st.integers(1, 10), size=st.integers(0, 10))
def test_fixed_with_ties_on_small_integers(seed, k, size):
    """Integer coefficients and half-integer targets: sums are exact in float64 and many
    subsets tie, so the error must equal the oracle's exactly."""
    g = generator(seed)
    coeffs = torch.randint(-4, 5, (12, k), generator=g).to(F64)
    targets = (torch.randint(-2 * k, 2 * k + 1, (12,), generator=g) / 2).to(F64)
    valid = torch.ones(12, k, dtype=torch.bool)
    res = solve(coeffs, targets, method="fixed", size=size)
    assert torch.equal(res.error, oracle(coeffs, targets, valid, size))
    assert torch.equal(res.chosen.sum(1), torch.full((12,), min(size, k)))


@settings(max_examples=10)  # k + 1 solver calls per example
@given(seed=seeds, k=st.integers(1, 18))
def test_the_best_size_is_the_exact_optimum(seed, k):
    """Beyond the oracle's sizes: every fixed size is no better than the unrestricted optimum,
    and the best over all sizes is the optimum (the optimum has some size)."""
    coeffs, targets, valid = instances(seed, 6, k, p_valid=0.9)
    exact = solve(coeffs, targets, valid)
    per_size = torch.stack(
        [solve(coeffs, targets, valid, method="fixed", size=s).error for s in range(k + 1)]
    )  # (k + 1, m)
    assert (per_size >= exact.error - TOL[F64]).all()
    assert torch.allclose(per_size.min(0).values, exact.error, rtol=0, atol=TOL[F64])


def test_fixed_known_answer():
    # Size 1: 0.9 alone is closest to 1.0; size 2: 0.6 + 0.4 = 1.0 exactly; size 5 > 3
    # coefficients: all three.
    coeffs = torch.tensor([[0.6, 0.4, 0.9]] * 3, dtype=F64)
    targets = torch.tensor([1.0, 1.0, 1.0], dtype=F64)
    one = solve(coeffs[:1], targets[:1], method="fixed", size=1)
    two = solve(coeffs[:1], targets[:1], method="fixed", size=2)
    five = solve(coeffs[:1], targets[:1], method="fixed", size=5)
    assert one.chosen.tolist() == [[False, False, True]]
    assert two.chosen.tolist() == [[True, True, False]] and float(two.error) == 0.0
    assert five.chosen.tolist() == [[True, True, True]]


@settings(max_examples=15)
@given(seed=seeds, size=st.integers(0, 14))
def test_rows_beyond_the_budget_are_solved_exactly_by_enumeration(seed, size):
    """A budget below one instance's workspace at 24 valid coefficients: such rows enumerate
    their excess coefficients' choices, and the answer is the in-memory one."""
    coeffs, targets, valid = instances(seed, 4, 24, p_valid=1.0)
    valid[0] = True
    budget = workspace_bytes(18, size) + 9 * 24 + 16
    assert fixed_in_memory(size, budget, 62) < 24 or size == 0
    small = solve(coeffs, targets, valid, method="fixed", size=size, memory_budget=budget)
    big = solve(coeffs, targets, valid, method="fixed", size=size)
    assert torch.allclose(small.error, big.error, rtol=0, atol=TOL[F64])
    assert torch.equal(small.chosen.sum(1), big.chosen.sum(1))


def test_fixed_float32():
    coeffs, targets, valid = instances(3, 200, 10, dtype=torch.float32)
    res = solve(coeffs, targets, valid, method="fixed", size=3)
    assert res.value.dtype == torch.float32
    check_against_oracle(res, coeffs, targets, valid, 3, atol=TOL[torch.float32])


def test_workspace_is_polynomial_for_small_sizes():
    """The lists of a half of h = 31 hold Σ_{q ≤ s} C(31, q) sums: 32 for s = 1, 2^31 at worst."""
    assert workspace_bytes(62, 1) < 10_000
    assert workspace_bytes(62, 31) > 2**31 * 64
    assert workspace_bytes(40, 3) == 64 * sum(math.comb(20, q) for q in range(4)) + 32 * 65
    assert max_coefficients("fixed") == 124  # a bit mask per half


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "fixed"}, "needs an integer size"),
        ({"method": "fixed", "size": -1}, "size=-1"),
        ({"method": "fixed", "size": 2.0}, "size=2.0"),
        ({"method": "fixed", "size": True}, "size=True"),
        ({"method": "exact", "size": 2}, "only used by method='fixed'"),
        ({"method": "fixed", "size": 2, "tolerance": 0.1}, "tolerance"),
    ],
)
def test_bad_size_is_refused_naming_it(kwargs, match):
    coeffs, targets, valid = instances(0, 3, 5)
    with pytest.raises(InvalidArgument, match=match):
        solve(coeffs, targets, valid, **kwargs)
