"""Orseau et al.'s construction (ours, approx.constructions.orseau): the hyperbolic law, the
base-3/2 digit lemma, the union-bound width, and the kept units per weight."""

from __future__ import annotations

import contextlib
import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import approx.constructions.orseau as orseau_module
from approx.basics.errors import InvalidArgument
from approx.basics.sampling import hyperbolic_magnitudes, sample_weights
from approx.constructions.orseau import (
    ORSEAU,
    Q,
    _layer_failure,
    digit_count,
    digit_greedy,
    digit_probability,
    hyperbolic_low,
    layer_precision,
    orseau_samples_per_weight,
)
from approx.pipeline.run import run

from .support import generator, seeds

F64 = torch.float64


def test_hyperbolic_law_gives_every_factor_band_the_same_mass():
    """N = 400,000 magnitudes on [1e-3, 1]: the fraction in [c, 2c] is ln 2 / ln 1000 = 0.1003
    for every c; binomial sd = 4.7e-4, tolerance 6 sd per band (false failure < 1e-8 each)."""
    x = hyperbolic_magnitudes((400_000,), 1e-3, generator=generator(0))
    assert float(x.min()) >= 1e-3 and float(x.max()) <= 1
    p = math.log(2) / math.log(1000)
    sd = math.sqrt(p * (1 - p) / x.numel())
    for c in (1e-3, 1e-2, 0.05, 0.25, 0.5):
        frac = float(((x >= c) & (x <= 2 * c)).double().mean())
        assert abs(frac - p) < 6 * sd, (c, frac, p)
    w = sample_weights((100_000,), generator=generator(1), distribution="hyperbolic", low=0.01)
    assert abs(float((w > 0).double().mean()) - 0.5) < 6 * 0.5 / math.sqrt(100_000)


@pytest.mark.parametrize("low", [0.0, 1.0, -0.5, float("nan"), None, True])
def test_hyperbolic_law_needs_a_lower_end_in_the_open_unit_interval(low):
    with pytest.raises(InvalidArgument, match="low="):
        sample_weights((3,), generator=generator(0), distribution="hyperbolic", low=low)


def test_uniform_takes_no_lower_end():
    with pytest.raises(InvalidArgument, match="only used by distribution='hyperbolic'"):
        sample_weights((3,), generator=generator(0), low=0.1)


@st.composite
def covered_rows(draw):
    """A target w in [-1, 1] and K digits, with two candidates of w's sign in every digit
    interval [q^t/2, q^t] plus noise candidates of both signs anywhere in [-1, 1]."""
    k = draw(st.integers(1, 14), label="digits K")
    w = draw(st.floats(-1.0, 1.0, allow_subnormal=False), label="target")
    sign = 1.0 if w >= 0 else -1.0
    vals = []
    for t in range(1, k + 1):
        for _ in range(2):
            u = draw(st.floats(0.0, 1.0), label="position in the interval")
            vals.append(sign * Q**t * (0.5 + 0.5 * u))
    noise = draw(st.lists(st.floats(-1.0, 1.0, allow_subnormal=False), max_size=20))
    return w, k, vals + noise


@given(row=covered_rows(), seed=seeds)
def test_digit_lemma_every_covered_weight_is_within_q_to_the_k(row, seed):
    """The lemma of approx.constructions.orseau: two candidates in every digit interval give an
    error <= q^K, with at most K kept units, all of the target's sign."""
    w, k, vals = row
    perm = torch.randperm(len(vals), generator=generator(seed))
    products = torch.tensor(vals, dtype=F64)[perm][None, :]  # (1, c)
    chosen, value = digit_greedy(
        products, torch.tensor([w], dtype=F64), torch.ones_like(products, dtype=torch.bool), k
    )
    assert abs(float(value[0]) - w) <= Q**k * (1 + 1e-12)
    assert int(chosen.sum()) <= k
    assert bool((products[chosen] * w >= 0).all())


@given(seed=seeds, k=st.integers(1, 20), c=st.integers(0, 40))
def test_digit_greedy_never_overshoots_without_coverage(seed, k, c):
    """Whatever the candidates, the greedy only subtracts values <= the residual: the kept sum
    has the target's sign and magnitude <= |w|, and it skips invalid candidates."""
    g = generator(seed)
    products = torch.rand(30, c, generator=g, dtype=F64) * 2 - 1
    targets = torch.rand(30, generator=g, dtype=F64) * 2 - 1
    valid = torch.rand(30, c, generator=g) < 0.6
    chosen, value = digit_greedy(products, targets, valid, k)
    assert not (chosen & ~valid).any()
    assert bool((value.abs() <= targets.abs() + 1e-12).all())
    assert bool((value * targets >= 0).all())


def digits_oracle(products, targets, valid, k):
    """The digit greedy as its definition reads, one row and one candidate at a time."""
    chosen = torch.zeros_like(valid)
    for i in range(products.shape[0]):
        r, used = abs(float(targets[i])), set()
        for t in range(1, k + 1):
            best = None
            for j in range(products.shape[1]):
                v = float(products[i, j])
                ok = valid[i, j] and v * float(targets[i]) > 0 and j not in used
                if ok and Q**t / 2 <= abs(v) <= min(Q**t, r) and (best is None or abs(v) > best[1]):
                    best = (j, abs(v))
            if best is not None:
                used.add(best[0])
                r -= best[1]
        chosen[i, list(used)] = True
    return chosen


@given(seed=seeds, k=st.integers(1, 16), c=st.integers(0, 30), low=st.floats(1e-3, 0.5))
def test_digit_greedy_equals_its_definition(seed, k, c, low):
    """The sorted, binary-search greedy against the per-candidate oracle, on hyperbolic
    products (the construction's law) of both signs."""
    g = generator(seed)
    a = sample_weights((8, c), generator=g, distribution="hyperbolic", low=low)
    b = sample_weights((8, c), generator=g, distribution="hyperbolic", low=low)
    targets = torch.rand(8, generator=g, dtype=F64) * 2 - 1
    chosen, value = digit_greedy(a * b, targets, a > 0, k)
    assert torch.equal(chosen, digits_oracle(a * b, targets, a > 0, k))
    assert torch.equal(value, (a * b * chosen).sum(1))


def test_digit_count_and_probabilities():
    for tau in (0.3, 0.1, 1e-2, 1e-4, 1e-7):
        k = digit_count(tau)
        assert Q**k <= tau < Q ** (k - 1) or k == 1
        ps = [digit_probability(t, k) for t in range(1, k + 1)]
        # intervals two apart are disjoint (neighbours overlap by design)
        assert all(0 < p <= 1 for p in ps) and sum(ps[::2]) <= 1 + 1e-12
        # the products' range [alpha^2, 1] starts exactly at the smallest digit's lower end
        assert hyperbolic_low(k) ** 2 == pytest.approx(Q**k / 2)


@pytest.mark.parametrize("widths", [(1, 1), (3, 2), (4, 4, 2)])
@pytest.mark.parametrize("eps", [0.3, 0.01])
def test_samples_per_weight_is_the_smallest_n_meeting_the_union_bound(widths, eps):
    delta = 0.05
    n = orseau_samples_per_weight(widths, eps, delta, 1.0)
    depth = len(widths) - 1
    shapes = list(itertools.pairwise(widths))
    ks = [digit_count(layer_precision(eps, depth, a, b)) for a, b in shapes]
    events = [4 * a * b * k for (a, b), k in zip(shapes, ks, strict=True)]
    total = 0.0
    for (a, b), k, e, n_i in zip(shapes, ks, events, n, strict=True):
        share = delta * e / sum(events)
        assert _layer_failure(n_i, k, a * b) <= share
        assert n_i == 1 or _layer_failure(n_i - 1, k, a * b) > share
        total += _layer_failure(n_i, k, a * b)
    assert total <= delta * (1 + 1e-12)
    assert orseau_samples_per_weight(widths, eps, delta, 0.5) <= n


def test_run_keeps_at_most_2K_units_per_weight_and_meets_eps():
    """At the theorem's width for eps = 0.05: certified error <= eps, and every target weight
    keeps at most K units per half-line (2K edges into M_{2i}), the paper's "2 log(1/eps)
    intermediate neurons" with log base 3/2 and the per-weight precision tau_i."""
    r = run(
        widths=(3, 3, 2),
        construction="orseau",
        eps=0.05,
        delta=0.05,
        seed=3,
        empirical_samples=256,
        ascent_steps=10,
    )
    assert r.certified_within_eps and r.empirical_error <= r.certified_error
    masks = r.artifacts.pruned.masks.masks
    for i, (d_in, d_out) in enumerate([(3, 3), (3, 2)]):
        k = digit_count(layer_precision(0.05, 2, d_in, d_out))
        m2 = masks[2 * i + 1]  # (d_out, 2 d_in n): output k's kept units
        per_weight = m2.view(d_out, d_in, -1).sum(-1)  # (d_out, d_in)
        assert int(per_weight.max()) <= 2 * k
    assert r.requested_density is None and "digit" in r.search


def test_for_run_configures_the_precision():
    assert ORSEAU.for_run((2, 2), 0.2, None).eps == 0.2
    with pytest.raises(InvalidArgument, match="density"):
        run(widths=(2, 2), construction="orseau", n=2, density=0.1)


def test_digit_passes_run_on_one_torch_thread(monkeypatch):
    """The passes (many small torch calls, between which a pool's idle threads spin on a busy
    machine) run on one thread; the caller's thread count is restored; the values are those
    of the passes on the caller's threads."""
    seen = []
    passes = orseau_module._digit_passes

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return passes(*args, **kwargs)

    g = torch.Generator().manual_seed(0)
    products = torch.rand(64, 40, generator=g, dtype=torch.float64) * 2 - 1
    targets = torch.rand(64, generator=g, dtype=torch.float64) * 2 - 1
    valid = torch.rand(64, 40, generator=g) < 0.5
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        monkeypatch.setattr(orseau_module, "one_torch_thread", contextlib.nullcontext)
        reference = orseau_module.digit_greedy(products, targets, valid, 12)
        monkeypatch.undo()
        monkeypatch.setattr(orseau_module, "_digit_passes", spy)
        chosen, value = orseau_module.digit_greedy(products, targets, valid, 12)
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert torch.equal(chosen, reference[0]) and torch.equal(value, reference[1])
