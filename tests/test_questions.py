"""The question experiments (docs/questions.md): their targets, the bounds on depth-2
subnetworks against brute force over every subnetwork, the composition bounds' order, and the
budget experiment's invariants. The scripts themselves run as subprocesses in
tests/test_scripts_questions.py."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.masks import Masks
from approx.basics.network import Network
from approx.basics.sampling import sample_weights
from approx.experiments.questions.budget import budget_summary, budget_trials, check_ks
from approx.experiments.questions.composition import composition_bounds, composition_runs
from approx.experiments.questions.separation import class_target, shallow_point
from approx.experiments.targets import (
    chain_target,
    digits_target,
    sawtooth_target,
    segment_points,
    tent_power,
)
from approx.measurement.shallow import (
    brute_force_best,
    kinks,
    lp_lower_bound,
    piece_count_bound,
    segment_error,
)
from approx.measurement.shallow import segment_points as line_points
from approx.pipeline.search.greedy import fit_pair
from tests.support import TOL, generator, seeds

SQRT2 = math.sqrt(2)
START = torch.tensor([0.0, 1.0], dtype=torch.float64) / SQRT2
END = torch.tensor([1.0, 1.0], dtype=torch.float64) / SQRT2


# ---- targets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("l", [1, 2, 5])
def test_sawtooth_network_computes_the_sawtooth_on_the_segment(l):
    x = torch.rand(2000, generator=generator(l), dtype=torch.float64)
    net = sawtooth_target(l)
    assert net.depth == l + 1 and all(b is None for b in net.biases)
    got = net.forward(segment_points(x))[:, 0]
    assert torch.allclose(got, tent_power(x, l) / SQRT2, atol=1e-12)


def test_sawtooth_alternates_between_0_and_1_at_its_2_to_the_l_breakpoints():
    l = 4
    x = torch.arange(2**l + 1, dtype=torch.float64) / 2**l
    expected = (torch.arange(2**l + 1) % 2).double()
    assert torch.equal(tent_power(x, l), expected)


def test_chain_target_is_relu_after_the_first_layer():
    x = torch.tensor([[-0.5], [0.7]], dtype=torch.float64)
    assert torch.equal(chain_target(1).forward(x), x)
    assert torch.equal(chain_target(3).forward(x), torch.relu(x))


def test_digits_target_refuses_a_pool_that_does_not_divide_the_images():
    with pytest.raises(InvalidArgument, match="pool=3"):
        digits_target(4, 0, pool=3)


# ---- depth-2 subnetworks on a segment: exact error and lower bounds vs brute force -----------


def _shallow(width: int, seed: int) -> Network:
    g = generator(seed)
    return Network.dense(
        [sample_weights((width, 2), generator=g), sample_weights((1, width), generator=g)]
    )


def _all_masks(width: int):
    """Every subnetwork of a 2-width-1 network as one option per unit: 0 = no output edge,
    1 = input x only, 2 = input c only, 3 = both (an output edge with no input is the same
    function as option 0)."""
    for choice in itertools.product(range(4), repeat=width):
        c = torch.tensor(choice)
        mA = torch.stack([(c == 1) | (c == 3), (c == 2) | (c == 3)], dim=1)  # (width, 2)
        yield Masks((mA, (c > 0)[None, :]))


def _sawtooth(l: int):
    target = class_target(l)
    return target, (lambda u: target.forward(u))


@settings(max_examples=5)
@given(seed=seeds)
def test_segment_error_is_the_sup_a_fine_grid_approaches(seed):
    net = _shallow(6, seed)
    masks = Masks(
        tuple(torch.rand(w.shape, generator=generator(seed + 1)) < 0.6 for w in net.weights)
    )
    _, f = _sawtooth(3)
    exact = segment_error(net, masks, f, START, END, torch.arange(9.0, dtype=torch.float64) / 8)
    x = torch.linspace(0, 1, 50_001, dtype=torch.float64)
    u = line_points(START, END, x)
    grid = float((masks.apply(net).forward(u) - f(u)).abs().max())
    # the difference is piecewise linear with slope below 6 here (6 units, |B a| <= 1, and a
    # target of range < 0.01): a grid of spacing 2e-5 misses its sup by less than 6e-5
    assert grid <= exact + TOL[torch.float64]
    assert exact <= grid + 6e-5


def _brute_best(net: Network, f, l: int) -> float:
    """The smallest sup error on the segment over every subnetwork (`_all_masks`), each
    evaluated at the target's breakpoints and every kink any unit can have: between those
    points every subnetwork and the target are linear, so the max there is the sup."""
    A, _ = net.weights
    x = torch.cat([torch.arange(2**l + 1.0, dtype=torch.float64) / 2**l, kinks(A, START, END)])
    u = line_points(START, END, x.unique())
    goal = f(u)[:, 0]
    outs = torch.stack([m.apply(net).forward(u)[:, 0] for m in _all_masks(net.widths[1])])
    return float((outs - goal).abs().max(1).values.min())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lp_lower_bound_never_exceeds_the_best_subnetwork_found_by_brute_force(seed):
    """4^5 = 1,024 subnetworks, every one measured exactly: the relaxation's optimum (on the
    target's breakpoints and every kink) must not exceed the best of them."""
    l, width = 2, 5
    net = _shallow(width, seed)
    _, f = _sawtooth(l)
    x = torch.cat(
        [torch.arange(2**l + 1.0, dtype=torch.float64) / 2**l, kinks(net.weights[0], START, END)]
    )
    u = line_points(START, END, x.unique())
    bound = lp_lower_bound(net, u, f(u)[:, 0])
    best = _brute_best(net, f, l)
    assert 0 <= bound <= best * (1 + 1e-6) + 1e-12


def test_brute_force_best_agrees_with_measuring_every_mask():
    l, net = 2, _shallow(4, 11)
    _, f = _sawtooth(l)
    x = torch.cat(
        [torch.arange(2**l + 1.0, dtype=torch.float64) / 2**l, kinks(net.weights[0], START, END)]
    )
    u = line_points(START, END, x.unique())
    assert brute_force_best(net, u, f(u)[:, 0]) == pytest.approx(_brute_best(net, f, l), rel=1e-12)


def test_lp_lower_bound_is_zero_for_a_goal_some_subnetwork_computes():
    net = _shallow(6, 7)
    masks = list(_all_masks(6))[1234]
    u = line_points(START, END, torch.linspace(0, 1, 50, dtype=torch.float64))
    goal = masks.apply(net).forward(u)[:, 0]
    assert lp_lower_bound(net, u, goal) <= 1e-6 * float(goal.abs().max())


@pytest.mark.parametrize("seed", [0, 1])
def test_too_few_units_leave_every_subnetwork_half_the_range_off(seed):
    """The piece-count bound, checked over all 4^5 = 1,024 subnetworks of a width-5 network
    against the 8-piece sawtooth (5 units: at most 6 pieces)."""
    l, width = 3, 5
    assert piece_count_bound(width, l) == 0.5 and piece_count_bound(7, l) == 0.0
    target, f = _sawtooth(l)
    h = float(target.forward(line_points(START, END, torch.tensor([0.125], dtype=torch.float64))))
    assert _brute_best(_shallow(width, seed), f, l) >= 0.5 * h * (1 - 1e-12)


def test_shallow_point_orders_its_bounds():
    row = shallow_point(3, 8, 0, greedy_steps=20)
    assert row["params"] == 3 * 8 and row["piece_count_bound"] == 0.0
    assert 0 <= row["lp_lower_bound"] <= row["greedy"]


def test_fit_pair_only_ever_lowers_the_error():
    net = _shallow(32, 3)
    u = line_points(START, END, torch.linspace(0, 1, 65, dtype=torch.float64))
    goal = torch.sin(6 * u[:, :1]) * 0.1  # (65, 1)
    mA, mB, history = fit_pair(u, goal, *net.weights, max_steps=50)
    assert history and all(b < a for a, b in itertools.pairwise(history))
    final = (torch.relu(u @ (net.weights[0] * mA).T) @ (net.weights[1] * mB).T - goal) ** 2
    assert float(final.sum(1).mean()) == pytest.approx(history[-1], rel=1e-12)


# ---- composition bounds -----------------------------------------------------------------------


@given(e=st.lists(st.floats(0, 0.2), min_size=1, max_size=5))
def test_composition_bounds_are_ordered(e):
    b = composition_bounds(e)
    assert b["undershoot"] <= b["sum"] + 1e-12 <= b["product_bound"] + 2e-12
    if b["sum_bound"] is not None:
        assert b["product_bound"] <= b["sum_bound"] + 1e-12


def test_composition_runs_respect_empirical_le_certified_le_product():
    rows = composition_runs(
        constructions=("pensia", "malach"),
        families=("random", "chain"),
        depths=(1, 3),
        n={"pensia": 6, "malach": 16},
        width=2,
        seeds=1,
        seed=0,
        empirical_samples=64,
        ascent_steps=5,
        progress=False,
    )
    assert len(rows) == 2 * 2 * 2
    assert all(r["order_holds"] for r in rows)
    assert all(len(r["layer_errors"]) == r["depth"] for r in rows)
    chain = [r for r in rows if r["family"] == "chain"]
    assert all(r["target_size"] == pytest.approx(1.0) for r in chain)


def test_composition_runs_refuse_a_construction_without_n():
    with pytest.raises(InvalidArgument, match="malach"):
        composition_runs(
            constructions=("malach",),
            families=("chain",),
            depths=(1,),
            n={"pensia": 4},
            width=2,
            seeds=1,
            seed=0,
            empirical_samples=8,
            ascent_steps=0,
            progress=False,
        )


# ---- one network or many ------------------------------------------------------------------------


def test_check_ks_refuses_a_k_that_does_not_divide_the_budget():
    assert check_ks(12, (4, 1, 2, 2)) == (1, 2, 4)
    with pytest.raises(InvalidArgument, match="K=5"):
        check_ks(12, (1, 5))


def test_budget_trials_spend_the_same_parameters_at_every_k():
    rows = budget_trials(
        (2, 3, 2),
        label="random",
        n_total=4,
        ks=(1, 2, 4),
        trials=2,
        seed=0,
        eps=0.1,
        empirical_samples=16,
        ascent_steps=0,
        progress=False,
    )
    assert len(rows) == 2 * 3
    assert len({r["params_total"] for r in rows}) == 1  # the budget P is fixed
    for r in rows:
        assert len(r["certified"]) == r["K"] == len(set(r["seeds"]))
        assert r["best_certified"] == min(r["certified"])
        assert r["success"] == (r["best_certified"] <= 0.1)
    summary = budget_summary(rows)
    (group,) = summary["groups"]
    assert [p["K"] for p in group["points"]] == [1, 2, 4]
    assert group["points"][0]["subnetwork_bits"] == rows[0]["params_total"]
