"""`approx.basics.safe_math.half_binomial_pmf`, the Binomial(m, 1/2) probabilities the run
estimates of Natale's and Burkholz's constructions sum over, and what it fixed: `2.0**m`
overflowed beyond m = 1023 (an OverflowError from the estimate of a sweep point at C = 1)."""

from __future__ import annotations

import math

import pytest

from approx.basics.errors import InvalidArgument
from approx.basics.safe_math import half_binomial_pmf
from approx.constructions.burkholz import BURKHOLZ
from approx.constructions.natale import NATALE
from approx.pipeline.run import run


@pytest.mark.parametrize("trials", [0, 1, 7, 64, 999, 1000])
@pytest.mark.parametrize("floor", [0.0, 1e-6])
def test_up_to_1000_trials_the_probabilities_are_the_formula_the_estimates_used(trials, floor):
    want = tuple(
        (c, p) for c in range(trials + 1) if (p := math.comb(trials, c) / 2.0**trials) >= floor
    )
    assert half_binomial_pmf(trials, floor) == want


@pytest.mark.parametrize("trials", [1001, 1524, 4000])
def test_beyond_1000_trials_the_log_space_probabilities_match_exact_integers(trials):
    # the oracle: comb / 2^m as Python integers, a correctly rounded quotient at any size
    got = half_binomial_pmf(trials, 1e-6)
    exact = {c: math.comb(trials, c) / 2**trials for c in range(trials + 1)}
    kept = [c for c, p in exact.items() if p >= 1e-6]
    assert [c for c, _ in got] == kept  # the same counts, walked out from the mode
    assert all(math.isclose(p, exact[c], rel_tol=1e-9) for c, p in got)


def test_huge_trials_are_quick_and_never_empty():
    pmf = half_binomial_pmf(2 * 10**6, 1e-6)  # ~3,700 counts around the mode
    assert 0.999 < sum(p for _, p in pmf) <= 1 + 1e-9
    # past ~6e11 trials not even the mode reaches 1e-6: the mode alone is kept (lgamma of
    # ~2.6e13 is rounded to ~4e-3, so the probability is good to ~0.3% there, 1e-9 below 4,000)
    ((c, p),) = half_binomial_pmf(10**12, 1e-6)
    assert c == 5 * 10**11 and p == pytest.approx(math.sqrt(2 / (math.pi * 10**12)), rel=1e-2)


def test_natale_and_burkholz_cost_more_than_511_samples_per_weight():
    # both raised OverflowError in their run estimates (2.0 ** (2 n)) for n > 511
    for cons in (NATALE, BURKHOLZ):
        (groups,) = cons.solver_instances((2, 2), (762,))
        total = [sum(p for _, p in pmf) for _, _, pmf in groups]
        assert all(0.99 < t <= 1 + 1e-9 for t in total), (cons.name, total)


def test_natale_refuses_an_n_its_fixed_size_search_cannot_take_before_drawing():
    # the theorem's n at C = 1 (762) reached the estimate (OverflowError) and, below 512, the
    # prune's first row ("coeffs has a row with 1052 valid coefficients; ... memory_budget")
    with pytest.raises(InvalidArgument, match=r"takes rows of at most \d+: pass --n 39 or less"):
        run(construction="natale", widths=(2, 2), n=1000, seed=0)
    r = run(construction="natale", widths=(2, 2), n=39, seed=0, empirical_samples=16,
            ascent_steps=0)  # fmt: skip
    assert r.kept_params > 0  # the n it names runs
