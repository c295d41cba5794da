"""proofs_check for Orseau et al.'s base-3/2 digits and Natale et al.'s fixed-size subset sums:
each check passes on the construction's claim and rejects a deliberately wrong variant.

The Monte Carlo checks use their own pass rules (Clopper–Pearson, false failure ≤ 1e-3 per
check) with fixed seeds, so a run is deterministic."""

from __future__ import annotations

import sympy as sp

import proofs_check
from proofs_check import natale_fixed_size, orseau_digits


def _hyperbolic_product_claim(t: int, k: int) -> float:
    """The wrong law: |ab| hyperbolic on [alpha^2, 1], every window ln 2 / (2 ln(1/alpha))."""
    low = orseau_digits.hyperbolic_low(k)
    return float(sp.log(2) / (2 * sp.log(1 / sp.Float(low))))


PASS = {
    "digit step, base 3/2": orseau_digits.check_digit_step,
    "neighbours disjoint": orseau_digits.check_disjoint_neighbours,
    "hyperbolic band mass": orseau_digits.check_hyperbolic_band,
    "digit probability": lambda: orseau_digits.check_digit_probability_mc(samples=50_000),
    "union bound": lambda: orseau_digits.check_union_bound_mc(trials=100),
    "entropy count": lambda: natale_fixed_size.check_entropy_count(n_max=120),
    "density bound": lambda: natale_fixed_size.check_density_bound(trials=20),
    "theorem 2 success": lambda: natale_fixed_size.check_rfss_success(samples=400),
}

WRONG = {
    "binary digits (base 2, factor-2 window)": lambda: orseau_digits.check_digit_step(
        sp.Rational(1, 2)
    ),
    "windows too wide to be disjoint two apart": lambda: orseau_digits.check_disjoint_neighbours(
        low=sp.Rational(2, 5)
    ),
    "uniform law's band mass": lambda: orseau_digits.check_hyperbolic_band(
        lambda x, a: 1 / (1 - a)
    ),
    "product of hyperbolics taken as hyperbolic": lambda: orseau_digits.check_digit_probability_mc(
        _hyperbolic_product_claim, samples=50_000
    ),
    "a third of the union bound's width": lambda: orseau_digits.check_union_bound_mc(
        1 / 3, trials=100
    ),
    "entropy count reversed": lambda: natale_fixed_size.check_entropy_count(True, n_max=120),
    "density bound without the first layer's edges": lambda: natale_fixed_size.check_density_bound(
        False, trials=20
    ),
    "theorem 2 at half the samples constant": lambda: natale_fixed_size.check_rfss_success(
        0.5, samples=400
    ),
}


def test_each_sparse_check_passes_on_its_claim():
    failed = [f"{name}: {r.detail}" for name, f in PASS.items() if not (r := f()).passed]
    assert not failed, "\n".join(failed)


def test_each_sparse_check_rejects_a_wrong_variant():
    passed = [name for name, f in WRONG.items() if f().passed]
    assert not passed, passed


def test_the_runner_includes_them():
    names = [name for name, _ in proofs_check.runner.checks(quick=True)]
    for family in ("orseau.digits.step", "orseau.union_bound_mc", "natale.theorem2.success"):
        assert family in names
