"""Natale et al.'s sparse tickets (approx.constructions.natale): the density guarantee, exactly
s units per instance, Theorem 3's fixed point, and the lower and sufficient sample sizes of
Theorems 5 and 2 (approx.measurement.bounds)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.sampling import random_target
from approx.constructions.natale import (
    NATALE,
    Natale,
    binary_entropy,
    instance_fraction,
    kept_bound,
    natale_samples_per_weight,
    subset_size,
)
from approx.measurement.bounds import natale_lower_bound_n, rfss_sufficient_n
from approx.pipeline.run import run

from .support import generator, seeds

widths_st = st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple)
densities = st.floats(0.02, 0.6)


@given(d_in=st.integers(1, 64), d_out=st.integers(1, 64), n=st.integers(1, 500), g=densities)
def test_subset_size_keeps_the_density_bound(d_in, d_out, n, g):
    s = subset_size(g, d_in, d_out, n)
    total = 2 * d_in * n * (d_in + d_out)
    assert 1 <= s <= max(1, n // 2)
    if s > 1:  # s = 1 is the floor where no positive s meets the bound
        assert kept_bound(d_in, d_out, n, s) <= g * total
    if s < n // 2:  # the largest such s
        assert kept_bound(d_in, d_out, n, s + 1) > g * total
    # the continuum fraction agrees with the integer size up to rounding
    assert s <= max(1, math.floor(instance_fraction(g, d_in, d_out) * n + 1e-9))


@given(seed=seeds, widths=widths_st, n=st.integers(6, 14), g=st.floats(0.15, 0.5))
def test_a_pruned_ticket_keeps_exactly_s_units_and_at_most_density_gamma(seed, widths, n, g):
    """Every (weight, half-line) keeps exactly min(s, right-signed units); each layer pair, and
    so the whole ticket, keeps at most gamma of the random network's weights wherever s > 1."""
    cons = Natale(g)
    target = random_target(widths, generator=generator(seed))
    net = cons.sample(widths, (n,) * (len(widths) - 1), generator=generator(seed + 1))
    pruned = cons.prune(target, net)
    layers_ok = []
    for i, (d_in, d_out) in enumerate(itertools.pairwise(widths)):
        s = subset_size(g, d_in, d_out, n)
        m1, m2 = pruned.masks.masks[2 * i], pruned.masks.masks[2 * i + 1]
        a = torch.diagonal(net.weights[2 * i].reshape(d_in, 2 * n, d_in), dim1=0, dim2=2).T
        kept = m2.view(d_out, d_in, 2 * n)
        for half in (a > 0, a < 0):  # (d_in, 2n)
            want = half.sum(1).clamp(max=s)  # (d_in,)
            assert torch.equal((kept & half).sum(-1), want.expand(d_out, d_in))
        pair = int(m1.sum()) + int(m2.sum())
        if s > 1:
            assert pair <= g * (m1.numel() + m2.numel())
        layers_ok.append(s > 1)
    if all(layers_ok):
        assert pruned.masks.density <= g


def test_theorem3_width_is_the_least_fixed_point():
    for widths, eps, g in [((4, 4, 2), 0.05, 0.1), ((8, 8), 0.01, 0.3), ((2, 3, 1), 0.2, 0.05)]:
        ns = natale_samples_per_weight(widths, eps, g, 1.0)
        depth = len(widths) - 1
        for (d_in, d_out), n in zip(itertools.pairwise(widths), ns, strict=True):
            frac = instance_fraction(g, d_in, d_out)

            def rhs(x, frac=frac, d_in=d_in, d_out=d_out, depth=depth, eps=eps):
                scale = 2 * depth * d_in * d_out * frac * x / eps
                return math.log2(scale) ** 2 / binary_entropy(frac)

            assert n >= rhs(n) - 1e-9 and n - 1 < rhs(n - 1)
        assert natale_samples_per_weight(widths, eps / 10, g, 1.0) >= ns
        assert natale_samples_per_weight(widths, eps, g / 2, 1.0) >= ns


def test_binary_entropy():
    assert binary_entropy(0.5) == 1 and binary_entropy(0) == 0 and binary_entropy(1) == 0
    assert binary_entropy(0.11) == pytest.approx(0.4999, abs=1e-3)
    with pytest.raises(InvalidArgument):
        binary_entropy(1.5)


@pytest.mark.parametrize(
    ("d", "k", "eps"), [(1, 1, 0.01), (1, 4, 0.001), (2, 8, 0.05), (3, 20, 0.01)]
)
def test_lower_and_sufficient_n_are_the_smallest_meeting_their_inequality(d, k, eps):
    lo = natale_lower_bound_n(d, k, eps)
    assert lo * binary_entropy(k / lo) >= d * d / 2 * math.log2(k / eps)
    assert k / lo <= 1 - 1 / (2 * math.pi)
    prev = lo - 1
    assert prev < k / (1 - 1 / (2 * math.pi)) or prev * binary_entropy(k / prev) < (
        d * d / 2 * math.log2(k / eps)
    )
    up = rfss_sufficient_n(k, eps, 1.0)
    assert up >= 2 * k and up * binary_entropy(k / up) >= math.log2(k / eps)
    # Theorem 2's n (c = 1) sits above Theorem 5's (d = 1): 1 vs 1/2 times log2(k/eps)
    assert up >= natale_lower_bound_n(1, k, eps) or up == 2 * k


def test_theorem5_needs_eps_below_one_sixteenth():
    with pytest.raises(InvalidArgument, match="eps < 1/16"):
        natale_lower_bound_n(2, 4, 0.1)


def test_run_with_density_reports_it_and_stays_below():
    r = run(
        widths=(3, 3, 2),
        construction="natale",
        density=0.3,
        n=12,
        eps=0.1,
        empirical_samples=64,
        ascent_steps=2,
    )
    assert r.requested_density == 0.3 and r.density <= 0.3
    assert r.to_json()["requested_density"] == 0.3
    assert "fixed-size" in r.search and r.empirical_error <= r.certified_error
    assert NATALE.density == 0.1 and run(
        widths=(2, 2), construction="natale", n=8, empirical_samples=8, ascent_steps=0
    ).requested_density == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"construction": "pensia", "density": 0.1}, "option of construction"),
        ({"construction": "natale", "density": 0.0}, "density=0.0"),
        ({"construction": "natale", "density": 1.0}, "density=1.0"),
        ({"construction": "natale", "solver": "greedy"}, "does not apply to construction"),
        ({"construction": "pensia", "solver": "fixed"}, "does not apply to construction"),
    ],
)
def test_bad_density_or_solver_is_refused(kwargs, match):
    with pytest.raises(InvalidArgument, match=match):
        run(widths=(2, 2), n=4, **kwargs)
