"""One suite every registered construction must pass: a new construction is tested by adding it
to `CONSTRUCTIONS`. Plus: greedy subset sum never beats exact, nor loses to the single best
product it starts from.

Where the layouts differ — depth 2l with half-line layers (Pensia, Malach) or depth l + 1
with copies (Burkholz) — a test checks each layout's own shape facts (`depth_2l`)."""

import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.network import Network
from approx.basics.sampling import random_target
from approx.constructions import CONSTRUCTIONS
from approx.constructions.malach import best_single_match
from approx.engine.subset_sum import solve
from approx.measurement.certified import certify
from approx.measurement.empirical import empirical_error
from approx.pipeline.run import run

from .support import TOL, generator, seeds

# On a dense target the CNN construction is Pensia's, draw for draw (tests/test_cnn.py checks
# that); its convolutional targets have the same suite there, on conv targets.
NAMES = sorted(name for name in CONSTRUCTIONS if name != "cnn")
widths_st = st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple)


def in_class(cons, widths, seed) -> Network:
    """A random target scaled into the construction's class."""
    t = random_target(widths, generator=generator(seed))
    factors = cons.rescale_factors(t)
    return Network.dense(tuple(w * f for w, f in zip(t.weights, factors, strict=True)))


def build(cons, seed, widths, n, solver="exact"):
    target = in_class(cons, widths, seed)
    net = cons.sample(widths, (n,) * (len(widths) - 1), generator=generator(seed + 1))
    return target, net, cons.prune(target, net, solver=solver)


def depth_2l(pruned) -> bool:
    """Half-line layers (depth-2l layout) rather than copies (depth l + 1)."""
    return pruned.copies is None


def expected_instances(widths, n, pruned) -> int:
    """Subset-sum instances solved: depth 2l, two per target weight (one per sign); depth l + 1
    with a ReLU target, per copy two per first-layer weight, one per later weight and one per
    bias, plus one per constant unit (approx.constructions.burkholz_prune)."""
    pairs = list(itertools.pairwise(widths))
    if depth_2l(pruned):
        return 2 * sum(a * b for a, b in pairs)
    depth = len(pairs)
    copies = [n if t < depth - 1 else 1 for t in range(depth)]  # per target layer
    count = copies[0] * pairs[0][1] * (2 * pairs[0][0] + 1)
    count += sum(copies[t] * d_out * (d_in + 1) for t, (d_in, d_out) in enumerate(pairs) if t)
    return count + sum(copies[t] for t in range(depth - 1))  # constant units


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds, widths=widths_st, n=st.integers(1, 5))
def test_masked_net_equals_realised_net(name, seed, widths, n):
    """The construction identity on inputs of both signs: the masked random net computes what
    the construction says it realises — depth 2l: L̂_l ∘ σ ∘ … ∘ L̂_1 with
    L̂_i(h) = P_i σ(h) − N_i σ(−h); depth l + 1 (ReLU target): the copies' network."""
    _target, net, pruned = build(CONSTRUCTIONS[name], seed, widths, n)
    x = torch.randn(64, widths[0], generator=generator(seed + 2), dtype=torch.float64)
    sub = pruned.masks.apply(net)
    assert torch.allclose(sub(x), pruned.forward(x), atol=TOL[torch.float64])


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds, widths=widths_st, n=st.integers(1, 5))
def test_masks_only_prune_and_keep_weights_bit_identical(name, seed, widths, n):
    _target, net, pruned = build(CONSTRUCTIONS[name], seed, widths, n)
    sub = pruned.masks.apply(net)
    assert len(pruned.masks.masks) == net.depth
    for m, w, s in zip(pruned.masks.masks, net.weights, sub.weights, strict=True):
        assert m.dtype == torch.bool and m.shape == w.shape
        assert torch.equal(s[m], w[m])  # kept: the random weight itself, bit for bit
        assert bool((s[~m] == 0).all())  # pruned: zero, nothing else changes
    bias_masks = pruned.masks.biases or (None,) * net.depth
    for m, b, s in zip(bias_masks, net.biases, sub.biases, strict=True):
        if m is not None:  # a bias mask: the same, for the random biases
            assert m.dtype == torch.bool and m.shape == b.shape
            assert torch.equal(s[m], b[m]) and bool((s[~m] == 0).all())
    assert pruned.masks.n_kept <= pruned.masks.n_total
    assert pruned.n_instances == expected_instances(widths, n, pruned)


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds, widths=widths_st, n=st.integers(1, 4))
def test_empirical_error_never_exceeds_certified(name, seed, widths, n):
    target, net, pruned = build(CONSTRUCTIONS[name], seed, widths, n)
    cert = certify(target, pruned)
    sub = pruned.masks.apply(net)
    emp = empirical_error(
        target.forward,
        sub.forward,
        widths[0],
        generator=generator(seed + 3),
        n_samples=256,
        ascent_steps=10,
        restarts=0,  # restarts and polish only add points of the same map: this check needs
        polish_steps=70,  # neither at the default budget (4x slower there)
    )
    assert emp.value <= cert.value + TOL[torch.float64]


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds, widths=widths_st, n=st.integers(1, 4))
def test_same_seed_same_net_and_masks(name, seed, widths, n):
    cons = CONSTRUCTIONS[name]
    _, net_a, a = build(cons, seed, widths, n)
    _, net_b, b = build(cons, seed, widths, n)
    assert all(torch.equal(x, y) for x, y in zip(net_a.weights, net_b.weights, strict=True))
    assert all(torch.equal(x, y) for x, y in zip(a.masks.masks, b.masks.masks, strict=True))
    for x, y in zip(net_a.biases, net_b.biases, strict=True):
        assert (x is None and y is None) or torch.equal(x, y)


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds, widths=widths_st, n=st.lists(st.integers(1, 5), min_size=3, max_size=3))
def test_shapes_follow_random_widths(name, seed, widths, n):
    cons = CONSTRUCTIONS[name]
    n = tuple(n[: len(widths) - 1])
    rw = cons.random_widths(widths, n)
    net = cons.sample(widths, n, generator=generator(seed))
    depth = len(widths) - 1
    assert net.widths == rw and (rw[0], rw[-1]) == (widths[0], widths[-1])
    target = in_class(cons, widths, seed)
    pruned = cons.prune(target, net)
    if depth_2l(pruned):
        assert net.depth == 2 * depth
        assert rw[::2] == widths  # the target's widths sit between the random pairs
        assert bool((net.weights[0].abs() <= 1).all())  # Uniform[-1, 1]
        for lay, w in zip(pruned.layers, target.weights, strict=True):
            assert lay.P.shape == w.shape and lay.N.shape == w.shape
        return
    assert net.depth == depth + 1 and pruned.layers == ()
    copies = [n[t + 1] if t < depth - 1 else 1 for t in range(depth)]
    first = pruned.copies.first
    assert (
        first.P.shape == first.N.shape == first.tau.shape == (copies[0], *target.weights[0].shape)
    )
    assert first.bias.shape == (copies[0], widths[1])
    for t, lay in enumerate(pruned.copies.later, start=1):
        assert lay.C.shape == (copies[t], widths[t + 1], widths[t], copies[t - 1])
        assert lay.bias.shape == (copies[t], widths[t + 1])


@pytest.mark.parametrize("name", NAMES)
def test_theorem_size_grows_as_eps_shrinks(name):
    cons = CONSTRUCTIONS[name]
    widths = (4, 4, 2)
    coarse, fine = cons.size(widths, 0.1, 0.01, 1.0), cons.size(widths, 0.001, 0.01, 1.0)
    assert len(coarse) == 2 and all(isinstance(v, int) and v >= 1 for v in coarse)
    assert all(f > c for f, c in zip(fine, coarse, strict=True))
    assert len(cons.theorem.citation) > 0 and len(cons.theorem.width) > 0


@pytest.mark.parametrize("name", NAMES)
@given(seed=seeds, scale=st.floats(1.01, 4.0))
def test_check_target_refuses_norm_above_one_and_rescale_fixes_it(name, seed, scale):
    cons = CONSTRUCTIONS[name]
    target = in_class(cons, (3, 3, 2), seed)
    assert cons.check_target(target) == []
    w2 = target.weights[1]
    bad = Network.dense((target.weights[0], w2 * (scale / torch.linalg.matrix_norm(w2, ord=2))))
    violations = cons.check_target(bad)
    assert violations and {v.layer for v in violations} == {2}
    assert any("spectral norm" in v.message for v in violations)
    factors = cons.rescale_factors(bad)
    assert factors[0] == 1.0 and 0 < factors[1] < 1
    fixed = Network.dense(tuple(w * f for w, f in zip(bad.weights, factors, strict=True)))
    assert cons.check_target(fixed) == []


@pytest.mark.parametrize("name", NAMES)
def test_run_has_the_same_json_contract_for_every_construction(name):
    keys = None
    for n in (2, 3):
        r = run(
            widths=(3, 3, 2), construction=name, n=n, eps=0.1, empirical_samples=64, ascent_steps=2
        )
        d = r.to_json()
        assert d["construction"] == name and d["random_widths"] == list(r.random_widths)
        assert d["empirical_error"] <= d["certified_error"] + TOL[torch.float64]
        assert keys is None or set(d) == keys
        keys = set(d)
    assert keys == set(run(widths=(3, 3, 2), n=2, empirical_samples=64, ascent_steps=2).to_json())


@given(seed=seeds, widths=widths_st, n=st.integers(1, 6))
def test_greedy_subset_sum_never_beats_exact_in_pensias_construction(seed, widths, n):
    cons = CONSTRUCTIONS["pensia"]
    target, _net, exact = build(cons, seed, widths, n, solver="exact")
    _, _, greedy = build(cons, seed, widths, n, solver="greedy")
    for e, g, w in zip(exact.layers, greedy.layers, target.weights, strict=True):
        assert bool(((e.P - w).abs() <= (g.P - w).abs() + TOL[torch.float64]).all())
        assert bool(((e.N - w).abs() <= (g.N - w).abs() + TOL[torch.float64]).all())


@given(seed=seeds, m=st.integers(1, 30), k=st.integers(1, 16))
def test_exact_le_greedy_le_single_best_product(seed, m, k):
    """Greedy's first step is the single best coefficient, later steps only shrink the
    residual; exact is optimal over all subsets."""
    g = generator(seed)
    a = torch.rand(m, k, generator=g, dtype=torch.float64) * 2 - 1
    b = torch.rand(m, k, generator=g, dtype=torch.float64) * 2 - 1
    coeffs = a * b
    targets = torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1
    valid = a > 0
    exact = solve(coeffs, targets, valid, method="exact")
    greedy = solve(coeffs, targets, valid, method="greedy")
    _, single = best_single_match(coeffs, targets, valid)
    tol = TOL[torch.float64]
    assert bool((exact.error <= greedy.error + tol).all())
    assert bool((greedy.error <= (single - targets).abs() + tol).all())
