"""approx.engine.subset_sum.any_size: rows of any size, each labelled with how it was solved,
against the brute-force oracle (exact, fewest) at a budget so small that every route is taken
with rows of at most 13 coefficients."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import approx.engine.subset_sum as subset_sum
from approx.basics import defaults
from approx.basics.errors import InvalidArgument
from approx.engine.subset_sum import (
    _budget,
    _torch_mitm,
    any_size,
    exact_in_memory,
    fewest_in_memory,
    solve,
    solve_cost,
)
from approx.engine.subset_sum._torch_mitm import exact_torch
from approx.engine.subset_sum.any_size import ROW_METHODS, any_size_cost, solve_any_size

from .support import TOL, seeds
from .support import subset_sum_instances as instances
from .test_subset_sum_fewest import oracle as fewest_oracle

F64 = torch.float64
EXCESS = 1  # rows up to cap + 1 are enumerated, larger ones solved over a prefix
START, STEP = 4, 3


def _rows_of_every_route(seed: int, cap: int, k: int):
    """Rows with cap - 2, cap, cap + 1, ..., k valid coefficients at random columns: one meet
    in the middle, enumeration, then prefix rows."""
    coeffs, targets, _ = instances(seed, k - cap + 3, k, p_valid=1.0)
    g = torch.Generator().manual_seed(seed)
    counts = [cap - 2, *range(cap, k + 1)]
    valid = torch.zeros(len(counts), k, dtype=torch.bool)
    for r, c in enumerate(counts):
        valid[r, torch.randperm(k, generator=g)[:c]] = True
    return coeffs[: len(counts)], targets[: len(counts)], valid, torch.tensor(counts)


def _first(valid: torch.Tensor, p: int) -> torch.Tensor:
    """The first p valid coefficients of each row (`valid` (m, k) or (k,))."""
    return valid & (valid.cumsum(-1) <= p)


def _expected_routes(counts, cap):
    return [
        "meet in the middle" if c <= cap else "enumeration" if c <= cap + EXCESS else "prefix"
        for c in counts.tolist()
    ]


@settings(max_examples=8)
@given(seed=seeds, tol=st.sampled_from([1e-3, 1e-2, 0.05]))
def test_exact_rows_of_every_route_against_brute_force(seed, tol):
    budget = 2**11
    cap = exact_in_memory(budget)
    assert cap == 10
    coeffs, targets, valid, counts = _rows_of_every_route(seed, cap, 13)
    got = solve_any_size(
        coeffs, targets, valid, tolerance=tol, memory_budget=budget, max_excess=EXCESS,
        prefix_start=START, prefix_step=STEP,
    )  # fmt: skip
    assert [ROW_METHODS[int(h)] for h in got.how] == _expected_routes(counts, cap)
    assert not (got.result.chosen & ~valid).any()
    assert torch.equal(got.result.value, (coeffs * got.result.chosen).sum(1))
    schedule = [4, 7, 10]
    # brute force over every valid coefficient; over the first q valid for each q, `solve`'s
    # exact optimum at the default budget (one meet in the middle, itself checked against brute
    # force in test_subset_sum)
    full = solve(coeffs, targets, valid, method="brute").error
    prefix = {q: solve(coeffs, targets, _first(valid, q)).error for q in schedule}
    for r, c in enumerate(counts.tolist()):
        p, err = int(got.searched[r]), float(got.result.error[r])
        if c <= cap + EXCESS:  # the optimum over every valid coefficient
            assert p == c and abs(err - float(full[r])) <= TOL[F64]
            continue
        # prefix: the optimum over the first p valid, p the first length within tol (or cap)
        assert p in schedule
        assert not (got.result.chosen[r] & ~_first(valid[r], p)).any()
        assert abs(err - float(prefix[p][r])) <= TOL[F64]
        assert err <= tol or p == cap
        assert all(float(prefix[q][r]) > tol for q in schedule if q < p)


@settings(max_examples=10)
@given(seed=seeds, tol=st.sampled_from([1e-3, 1e-2, 0.05]))
def test_fewest_rows_of_every_route_against_the_oracle(seed, tol):
    budget = 2**12
    cap = fewest_in_memory(budget)
    assert cap == 8
    coeffs, targets, valid, counts = _rows_of_every_route(seed, cap, 11)
    got = solve_any_size(
        coeffs, targets, valid, method="fewest", tolerance=tol, memory_budget=budget,
        max_excess=EXCESS, prefix_start=START, prefix_step=STEP,
    )  # fmt: skip
    assert [ROW_METHODS[int(h)] for h in got.how] == _expected_routes(counts, cap)
    searched_valid = torch.stack(
        [_first(valid[r], int(got.searched[r])) for r in range(len(counts))]
    )
    assert not (got.result.chosen & ~searched_valid).any()
    # each row: fewest's answer over the coefficients it searched
    kept, error = fewest_oracle(coeffs, targets, searched_valid, tol)
    close = error <= tol
    assert torch.equal(got.result.chosen.sum(1)[close], kept[close])
    assert torch.allclose(got.result.error, error, rtol=0, atol=TOL[F64])


def test_rows_that_fit_get_exactly_what_solve_gives():
    coeffs, targets, valid = instances(3, 200, 30, p_valid=0.8)
    for method, tol in (("exact", None), ("fewest", 0.01)):
        want = solve(coeffs, targets, valid, method=method, tolerance=tol)
        got = solve_any_size(coeffs, targets, valid, method=method, tolerance=tol)
        assert torch.equal(got.result.chosen, want.chosen)
        assert bool((got.how == 0).all()) and torch.equal(got.searched, valid.sum(1))


def test_the_mask_is_counted_once(monkeypatch):
    """`solve_any_size` and `solve` count the (m, k) mask once and hand the counts to the
    kernel (its own count took as long again: 0.06-0.15 s on the 784-500-10 run's mask); the
    torch kernel given the counts returns what it returns counting them itself."""
    coeffs, targets, valid = instances(4, 200, 16, p_valid=0.8)
    seen = []
    count = _budget.valid_counts

    def spy(mask):
        seen.append(tuple(mask.shape))
        return count(mask)

    for module in (_budget, any_size, subset_sum, _torch_mitm):
        monkeypatch.setattr(module, "valid_counts", spy)
    for method, tol in (("exact", None), ("fewest", 0.01)):
        seen.clear()
        got = solve_any_size(coeffs, targets, valid, method=method, tolerance=tol)
        assert seen == [(200, 16)] and torch.equal(got.counts, valid.sum(1))
        seen.clear()
        solve(coeffs, targets, valid, method=method, tolerance=tol)
        assert seen == [(200, 16)]
    budget = defaults.SOLVER_MEMORY_BUDGET
    want = exact_torch(coeffs, targets, valid, budget)
    assert torch.equal(exact_torch(coeffs, targets, valid, budget, valid.sum(1)), want)


def test_rows_beyond_62_valid_are_solved_over_a_prefix():
    """Rows of 70 and 100 valid coefficients (more than the 62-bit masks hold): solved over
    their first 24 valid ones when that is within the tolerance, with `solve`'s optimum there."""
    coeffs, targets, _ = instances(5, 2, 100, p_valid=1.0)
    valid = torch.ones(2, 100, dtype=torch.bool)
    valid[0, 70:] = False
    got = solve_any_size(coeffs, targets, valid, tolerance=1e-3)
    assert [ROW_METHODS[int(h)] for h in got.how] == ["prefix", "prefix"]
    assert got.searched.tolist() == [24, 24]
    prefix = valid & (valid.cumsum(1) <= 24)
    want = solve(coeffs, targets, prefix)
    assert torch.equal(got.result.chosen, want.chosen)
    assert bool((got.result.error <= 1e-3).all())
    with pytest.raises(InvalidArgument, match=r"^coeffs has a row with 100"):
        solve(coeffs, targets, valid)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"method": "greedy"}, "method"),
        ({"method": "fewest"}, "tolerance"),
        ({"tolerance": 0.0}, "tolerance"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"max_excess": -1}, "max_excess"),
        ({"prefix_start": 0}, "prefix_start"),
        ({"prefix_step": 1.5}, "prefix_step"),
        ({"memory_budget": 2**7}, "memory_budget"),  # below one exact worker
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    coeffs, targets, valid = instances(0, 4, 3)
    with pytest.raises(InvalidArgument, match=rf"^{name}\b"):
        solve_any_size(coeffs, targets, valid, **kwargs)


def test_any_size_cost_follows_the_routing():
    """Within one meet in the middle it is `solve_cost`; an enumerated row costs more than the
    cap's solve and grows with its excess; a prefix row stops widening at the tolerance (a
    loose tolerance costs one prefix, none costs the whole schedule)."""
    cap = exact_in_memory()
    assert any_size_cost("exact", 10, 30) == solve_cost("exact", 10, 30, 30)
    _, at_cap = any_size_cost("exact", 10, cap)
    _, two = any_size_cost("exact", 10, cap + 2)
    _, four = any_size_cost("exact", 10, cap + 4)
    assert at_cap < two < four
    _, loose = any_size_cost("exact", 10, cap + 20, tolerance=1e-3)
    _, tight = any_size_cost("exact", 10, cap + 20, tolerance=1e-300)
    _, untold = any_size_cost("exact", 10, cap + 20)
    assert loose == solve_cost("exact", 10, defaults.PREFIX_START, defaults.PREFIX_START)[1]
    assert loose < at_cap <= untold <= tight
