"""The time estimate's prune phase against the work the prune really does: the number of
subset-sum instances (Burkholz) and of digit passes (Orseau) counted in real runs, and the
estimate at least that count times a conservative floor of each one's cost (not a timed
test: the floors are far below what was measured, docs/performance.md)."""

from __future__ import annotations

import math

import pytest

import approx.constructions.natale as natale_module
import approx.constructions.orseau as orseau_module
import approx.engine.subset_sum as subset_sum
import approx.engine.subset_sum.any_size as any_size
from approx.basics.units import format_seconds
from approx.constructions.burkholz import burkholz_instances
from approx.constructions.natale import NATALE
from approx.constructions.orseau import Orseau
from approx.engine.subset_sum import solve_cost
from approx.engine.subset_sum._cost import fixed_steps, fixed_switches
from approx.pipeline.plan import plan_run
from approx.pipeline.run import run

QUICK = {"empirical_samples": 16, "ascent_steps": 0}
# one HiGHS solve (scipy's milp: model set-up, presolve, a branch and bound) took 8-40 ms of
# CPU at 4-12 valid coefficients; a floor of 2 ms
HIGHS_SOLVE_FLOOR_S = 2e-3
# one digit pass of digit_greedy is ~15 torch calls (64 µs of CPU measured); a floor of 20 µs
DIGIT_PASS_FLOOR_S = 20e-6


def _plan(construction, widths, n, solver="exact", eps=0.01):
    return plan_run(
        None, widths, eps=eps, delta=0.01, construction=construction, n=n, C=None,
        solver=solver, seed=0, device="cpu", dtype="float64", weight_tolerance=None, **QUICK,
    )  # fmt: skip


def _instances(widths, n, homogeneous=True) -> int:
    layers = burkholz_instances(widths, n, homogeneous)
    return sum(count for layer in layers for count, _, _ in layer)


@pytest.mark.parametrize(
    ("widths", "n", "activation"),
    [((3, 3, 2), (3, 2), "relu"), ((2, 3, 2, 2), (2, 3, 2), "relu"), ((3, 3, 2), (3, 2), "tanh")],
)
def test_burkholz_instances_are_the_ones_its_prune_solves(monkeypatch, widths, n, activation):
    """The model's instance count equals the rows handed to the milp solver in a real run
    (and the run's own `n_instances`), and every row's valid count is one the model gives; a
    tanh target's first layer has no sign split (half the instances, n valid each)."""
    homogeneous = activation == "relu"
    valid_counts = []
    milp = subset_sum.milp

    def spy(coeffs, targets, valid):
        valid_counts.extend(valid.sum(1).tolist())
        return milp(coeffs, targets, valid)

    monkeypatch.setattr(subset_sum, "milp", spy)
    res = run(
        widths=widths, construction="burkholz", n=list(n), solver="milp", activation=activation,
        **QUICK,
    )  # fmt: skip
    assert res.n_instances == _instances(widths, n, homogeneous) == len(valid_counts)
    model = burkholz_instances(widths, n, homogeneous)
    possible = {c for layer in model for _, _, pmf in layer for c, _ in pmf}
    assert set(valid_counts) - {0} <= possible  # 0: a sign-split row with no unit of its sign
    assert max(valid_counts) == max(n)


def test_burkholz_milp_estimate_covers_its_highs_solves():
    """At the theorem's n on the default widths (26,466 instances of 25-38 valid
    coefficients) the prune is at least that many HiGHS solves; the estimate once costed 1,152
    rows at 10 ms (11.5 s; a 4-4-2 run at n = 6 was estimated at 0.48 s and took 7 s)."""
    plan = _plan("burkholz", (16, 16, 16, 4), None, solver="milp")
    count = _instances(plan.target_widths, plan.n)
    assert count == 26466
    assert plan.estimate.phase_seconds["prune"] >= count * HIGHS_SOLVE_FLOOR_S
    small = _plan("burkholz", (4, 4, 2), 6, solver="milp")
    assert small.estimate.phase_seconds["prune"] >= 232 * 2 * HIGHS_SOLVE_FLOOR_S
    assert _instances((4, 4, 2), (6, 6)) == 232


def test_burkholz_exact_estimate_covers_its_element_steps():
    """The exact solver's prune at the theorem's n: at least the instances' meet-in-the-middle
    element steps at 1 ns each on 2 threads (measured 1.1-1.6 ns on one); it was 6 ms."""
    plan = _plan("burkholz", (16, 16, 16, 4), None)
    steps = 0.0
    for layer in burkholz_instances(plan.target_widths, plan.n):
        for count, _, pmf in layer:
            steps += count * sum(p * 3 * (2 ** (c // 2) + 2 ** (c - c // 2)) for c, p in pmf)
    assert plan.estimate.phase_seconds["prune"] >= steps * 1e-9 / 2
    assert steps * 1e-9 / 2 > 10  # the instances are large: seconds, not milliseconds


def test_orseau_digit_passes_are_the_ones_its_prune_makes(monkeypatch):
    """digit_greedy's calls in a real run at tiny eps: two per layer, with the model's rows,
    columns and digits."""
    calls = []
    greedy = orseau_module.digit_greedy

    def spy(products, targets, valid, k):
        calls.append((*products.shape, k))
        return greedy(products, targets, valid, k)

    monkeypatch.setattr(orseau_module, "digit_greedy", spy)
    widths, n = (3, 4, 2), (2, 3)
    run(widths=widths, construction="orseau", eps=1e-300, n=list(n), **QUICK)
    model = Orseau(1e-300).digit_passes(widths, n)
    assert calls == [p for p in model for _ in range(2)]
    assert min(k for _, _, k in model) > 1500  # base-3/2 digits of ~1e-300


def test_orseau_tiny_eps_estimate_covers_its_digit_passes():
    """At eps = 1e-300 and n = 8 (the default widths) the prune makes 2·ΣK_i ≈ 10,300 digit
    passes; the estimate was 0.0 s (the argmin's cost) while the prune took 2-38 s."""
    plan = _plan("orseau", (16, 16, 16, 4), 8, eps=1e-300)
    model = plan.construction.digit_passes(plan.target_widths, plan.n)
    passes = 2 * sum(k for _, _, k in model)
    assert passes > 10_000
    assert plan.estimate.phase_seconds["prune"] >= passes * DIGIT_PASS_FLOOR_S


def test_milp_row_cost_follows_the_measured_table():
    """HiGHS's time per row grows ~700x from 4 to 24 valid coefficients (measured: 10 ms,
    then 8-13 s from 24 to 38); the model interpolates and stays monotone."""
    per = [solve_cost("milp", 1, c, c)[1] for c in range(0, 41)]
    assert per == sorted(per)
    assert 5e-3 <= per[4] <= 2e-2 and 5 <= per[30] <= 20


def _fixed_steps_by_merges(c: int, s: int) -> int:
    """`fixed_steps` the long way: every list written while adding each coefficient of each
    half (C(e, q) sums for q = 1..min(s, e)), and the sweeps of every split."""
    s = min(s, c)
    h1, h2 = c // 2, c - c // 2

    def build(h):
        return sum(math.comb(e, q) for e in range(1, h + 1) for q in range(1, min(s, e) + 1))

    sweeps = sum(
        math.comb(h1, a) + math.comb(h2, s - a) for a in range(max(0, s - h2), min(s, h1) + 1)
    )
    return build(h1) + build(h2) + sweeps


def test_fixed_steps_is_the_sum_over_its_merges():
    assert all(
        fixed_steps(c, s) == _fixed_steps_by_merges(c, s) for c in range(70) for s in range(20)
    )


def test_natale_instances_and_sizes_are_the_ones_its_prune_solves(monkeypatch):
    """The model's rows, columns and subset sizes are those of the `solve` calls of a real
    run, and every row's valid count is one the model gives."""
    calls = []
    solve = natale_module.solve

    def spy(coeffs, targets, valid, *, method, size):
        calls.append((coeffs.shape, size, valid.sum(1).tolist()))
        return solve(coeffs, targets, valid, method=method, size=size)

    monkeypatch.setattr(natale_module, "solve", spy)
    widths, n = (4, 6, 3), (9, 7)
    res = run(widths=widths, construction="natale", n=list(n), density=0.2, **QUICK)
    model = NATALE.for_run(widths, 0.01, 0.2)
    groups, sizes = model.solver_instances(widths, n), model.subset_sizes(widths, n)
    assert res.n_instances == sum(g[0][0] for g in groups)
    for (shape, size, valid), ((rows, columns, pmf),), s in zip(calls, groups, sizes, strict=True):
        assert tuple(shape) == (rows, columns) and size == s
        assert set(valid) <= {c for c, _ in pmf}


def test_natale_estimate_covers_its_element_steps():
    """Natale's prune at the theorem's n (density 0.1, the default widths): at least its
    fixed-size instances' element steps at 2 ns each (3.5-6.5 ns measured on one thread) on 2
    threads; the estimate once costed them like exact instances of half as many valid
    coefficients (0.68 s for the whole run against 11.6 s measured)."""
    plan = plan_run(
        None, (16, 16, 16, 4), eps=0.01, delta=0.01, construction="natale", n=None, C=None,
        solver="exact", seed=0, device="cpu", dtype="float64", weight_tolerance=None,
        density=0.1, **QUICK,
    )  # fmt: skip
    model = NATALE.for_run(plan.target_widths, 0.01, 0.1)
    groups = model.solver_instances(plan.target_widths, plan.n)
    sizes = model.subset_sizes(plan.target_widths, plan.n)
    steps = sum(
        rows * sum(p * fixed_steps(c, s) for c, p in pmf)
        for ((rows, _, pmf),), s in zip(groups, sizes, strict=True)
    )
    assert plan.estimate.phase_seconds["prune"] >= steps * 2e-9 / 2
    assert steps * 2e-9 / 2 > 2  # seconds of work


def test_a_short_estimate_reads_in_tenths_of_a_second():
    """Orseau's 0.47 s estimate was announced as "about 0 s"."""
    assert [format_seconds(s) for s in (0.47, 4.2, 42.4, 130)] == [
        "0.5 s", "4.2 s", "42 s", "2 min 10 s",
    ]  # fmt: skip


def test_the_estimate_finds_the_solvers_memory_cap_once_not_once_per_layer(monkeypatch):
    """A deep target's estimate (an `approx compare --target relu-chain --depth 100000`
    announcement) asked for the single-instance cap at every layer: ~60 budget checks each,
    seconds before the run. The cap is a function of the budget alone: found once, the same
    value."""
    calls = []
    exact_fits = subset_sum.exact_fits
    monkeypatch.setattr(subset_sum, "exact_fits", lambda c, b: calls.append(c) or exact_fits(c, b))
    any_size._single_instance_cap.cache_clear()
    _plan("pensia", (2,) * 201, 4)  # 200 layers
    assert 0 < len(calls) <= subset_sum.MAX_VALID + 1
    budget = subset_sum.SOLVER_MEMORY_BUDGET
    assert any_size._single_instance_cap("exact", budget) == subset_sum.exact_in_memory(budget)
    assert any_size._single_instance_cap("fewest", budget) == subset_sum.fewest_in_memory(budget)


def _switches_by_merges(c: int, s: int) -> float:
    """`fixed_switches` with exact binomials: 2ab/(a + b) for every merge of list q (C(e, q))
    with list q - 1 (C(e, q - 1)) while adding each coefficient, and for every split's sweep."""
    s = min(s, c)
    h1, h2 = c // 2, c - c // 2

    def interleave(a, b):
        return 2 * a * b / (a + b) if a + b else 0.0

    def build(h):
        return sum(
            interleave(math.comb(e, q), math.comb(e, q - 1))
            for e in range(h)
            for q in range(1, min(s, e + 1) + 1)
        )

    sweeps = sum(
        interleave(math.comb(h1, a), math.comb(h2, s - a))
        for a in range(max(0, s - h2), min(s, h1) + 1)
    )
    return build(h1) + build(h2) + sweeps


def test_fixed_switches_is_the_sum_over_its_merges():
    assert all(
        fixed_switches(c, s) == pytest.approx(_switches_by_merges(c, s), rel=1e-12)
        for c in range(70)
        for s in range(20)
    )
    # similar list lengths (s near h) interleave more than a few long lists (small s)
    assert fixed_switches(32, 16) / fixed_steps(32, 16) > 2 * fixed_switches(93, 4) / fixed_steps(
        93, 4
    )


def test_a_tanh_target_is_estimated_with_the_ball_search_and_its_own_instances():
    """A tanh target's empirical phase is `ball_ascent` (gradient steps from the starts, no
    local search, restarts or polish), linear in the steps; it was costed as the sphere's
    search (5.5 s announced for a 0.15 s phase on Burkholz 8-8-4)."""

    def tanh_plan(steps):
        return plan_run(
            None, (8, 8, 4), eps=0.05, delta=0.01, construction="burkholz", n=(32, 22), C=None,
            solver="exact", seed=0, device="cpu", dtype="float64", weight_tolerance=None,
            empirical_samples=4096, ascent_steps=steps, activation="tanh",
        )  # fmt: skip

    tanh = [tanh_plan(steps).estimate.phase_seconds for steps in (0, 10, 20)]
    relu = _plan("burkholz", (8, 8, 4), (32, 22)).estimate.phase_seconds
    emp = [p["empirical"] for p in tanh]
    assert emp[2] - emp[1] == pytest.approx(emp[1] - emp[0]) and emp[1] > emp[0]
    first_layer = 22 * 8 * 8  # R d_1 d_0 instances over n_1 = 32 units, no sign split
    assert burkholz_instances((8, 8, 4), (32, 22), homogeneous=False)[0][0] == (
        first_layer, 64, ((32, 1.0),),
    )  # fmt: skip
    assert tanh[1]["prune"] < relu["prune"]
