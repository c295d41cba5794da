"""One suite every registered construction must pass: a new construction is tested by adding it
to `CONSTRUCTIONS`. Plus: greedy subset sum never beats exact, nor loses to the single best
product it starts from.

Every construction runs on dense targets; the CNN construction also on convolutional ones
(`CASES`: a construction and a target kind). Where the layouts differ — depth 2l with half-line
layers (Pensia, Malach, CNN) or depth l + 1 with copies (Burkholz) — a test checks each
layout's own shape facts (`depth_2l`)."""

import dataclasses
import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.network import Network
from approx.basics.sampling import random_conv_target, random_target
from approx.constructions import CONSTRUCTIONS
from approx.constructions.malach import best_single_match
from approx.engine.subset_sum import solve
from approx.measurement.certified import certify
from approx.measurement.empirical import empirical_error, flat_forward
from approx.pipeline.run import run

from .support import TOL, conv_targets, generator, seeds

# On a dense target the CNN construction is Pensia's, draw for draw (tests/test_cnn.py checks
# that), so it runs here on convolutional targets only (tests/support.py's conv_targets: 1-2
# conv layers, maybe a dense one after them).
NAMES = sorted(name for name in CONSTRUCTIONS if name != "cnn")
CASES = [(name, "dense") for name in NAMES] + [("cnn", "conv")]
CASE_IDS = [f"{name}-{kind}" for name, kind in CASES]
# a conv example costs ~10x a dense one (certified conv norms, autograd through convolutions):
# in the fast suite test_cnn.py's own conv tests draw fewer examples; the full count runs here
# as a slow test
CASES_SLOW_CONV = [
    pytest.param(name, kind, marks=pytest.mark.slow) if kind == "conv" else (name, kind)
    for name, kind in CASES
]
widths_st = st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple)


def in_class(cons, widths, seed) -> Network:
    """A random target scaled into the construction's class."""
    t = random_target(widths, generator=generator(seed))
    factors = cons.rescale_factors(t)
    return Network.dense(tuple(w * f for w, f in zip(t.weights, factors, strict=True)))


@st.composite
def targets(draw, name, kind):
    """(target, seed): a dense target of 2-4 widths <= 4 in the construction's class, or a
    small conv target (kernels of l1 norm 1)."""
    if kind == "conv":
        return draw(conv_targets())
    seed = draw(seeds)
    return in_class(CONSTRUCTIONS[name], draw(widths_st), seed), seed


def configured(name, target):
    """The construction, told the target's geometry where it needs it (the CNN's layers)."""
    cons = CONSTRUCTIONS[name]
    for_target = getattr(cons, "for_target", None)
    return cons if for_target is None else for_target(target)


def build(name, target, seed, n, solver="exact"):
    cons = configured(name, target)
    widths = target.feature_widths
    net = cons.sample(widths, (n,) * target.depth, generator=generator(seed + 1))
    return net, cons.prune(target, net, solver=solver)


def inputs(target, k, seed) -> torch.Tensor:
    """`k` Gaussian inputs of both signs, shaped as the target reads them."""
    return torch.randn(k, *target.input_shape, generator=generator(seed), dtype=torch.float64)


def depth_2l(pruned) -> bool:
    """Half-line layers (depth-2l layout) rather than copies (depth l + 1)."""
    return pruned.copies is None


def expected_instances(target, n, pruned) -> int:
    """Subset-sum instances solved: depth 2l, two per target weight (one per sign; a kernel
    entry for a convolution); depth l + 1 with a ReLU target, per copy two per first-layer
    weight, one per later weight and one per bias, plus one per constant unit
    (approx.constructions.burkholz_prune)."""
    if depth_2l(pruned):
        return 2 * sum(w.numel() for w in target.weights)
    pairs = list(itertools.pairwise(target.widths))
    depth = len(pairs)
    copies = [n if t < depth - 1 else 1 for t in range(depth)]  # per target layer
    count = copies[0] * pairs[0][1] * (2 * pairs[0][0] + 1)
    count += sum(copies[t] * d_out * (d_in + 1) for t, (d_in, d_out) in enumerate(pairs) if t)
    return count + sum(copies[t] for t in range(depth - 1))  # constant units


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
@given(data=st.data(), n=st.integers(1, 5))
def test_masked_net_equals_realised_net(name, kind, data, n):
    """The construction identity on inputs of both signs: the masked random net computes what
    the construction says it realises — depth 2l: L̂_l ∘ σ ∘ … ∘ L̂_1 with
    L̂_i(h) = P_i σ(h) − N_i σ(−h) (P_i, N_i kernels for a convolution); depth l + 1 (ReLU
    target): the copies' network."""
    target, seed = data.draw(targets(name, kind))
    net, pruned = build(name, target, seed, n)
    x = inputs(target, 64 if kind == "dense" else 16, seed + 2)
    sub = pruned.masks.apply(net)
    assert torch.allclose(sub(x), pruned.forward(x), atol=TOL[torch.float64])


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
@given(data=st.data(), n=st.integers(1, 5))
def test_masks_only_prune_and_keep_weights_bit_identical(name, kind, data, n):
    target, seed = data.draw(targets(name, kind))
    net, pruned = build(name, target, seed, n)
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
    assert pruned.n_instances == expected_instances(target, n, pruned)


@pytest.mark.parametrize(("name", "kind"), CASES_SLOW_CONV, ids=CASE_IDS)
@given(data=st.data(), n=st.integers(1, 4))
def test_empirical_error_never_exceeds_certified(name, kind, data, n):
    target, seed = data.draw(targets(name, kind))
    net, pruned = build(name, target, seed, n)
    cert = certify(target, pruned)
    sub = pruned.masks.apply(net)
    emp = empirical_error(
        flat_forward(target.forward, target.input_shape),
        flat_forward(sub.forward, target.input_shape),
        target.feature_widths[0],
        generator=generator(seed + 3),
        n_samples=256 if kind == "dense" else 128,
        ascent_steps=10 if kind == "dense" else 5,
        restarts=0,  # restarts and polish only add points of the same map: this check needs
        polish_steps=70,  # neither at the default budget (4x slower there)
    )
    assert emp.value <= cert.value + TOL[torch.float64]


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
@given(data=st.data(), n=st.integers(1, 4))
def test_same_seed_same_net_and_masks(name, kind, data, n):
    target, seed = data.draw(targets(name, kind))
    net_a, a = build(name, target, seed, n)
    net_b, b = build(name, target, seed, n)
    assert all(torch.equal(x, y) for x, y in zip(net_a.weights, net_b.weights, strict=True))
    assert all(torch.equal(x, y) for x, y in zip(a.masks.masks, b.masks.masks, strict=True))
    for x, y in zip(net_a.biases, net_b.biases, strict=True):
        assert (x is None and y is None) or torch.equal(x, y)


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
@given(data=st.data(), n=st.lists(st.integers(1, 5), min_size=3, max_size=3))
def test_shapes_follow_random_widths(name, kind, data, n):
    target, seed = data.draw(targets(name, kind))
    cons = configured(name, target)
    widths, depth = target.feature_widths, target.depth
    n = tuple(n[:depth])
    rw = cons.random_widths(widths, n)
    net = cons.sample(widths, n, generator=generator(seed))
    assert net.feature_widths == rw and (rw[0], rw[-1]) == (widths[0], widths[-1])
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


def fixed_target(name, kind) -> Network:
    """A 3-3-2 dense target in the class, or Conv 3x3 1->2, ReLU, Conv 3x3 2->2 on 1x6x6."""
    if kind == "conv":
        return random_conv_target((1, 6, 6), (2, 2), generator=generator(0))
    return in_class(CONSTRUCTIONS[name], (3, 3, 2), 0)


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
def test_theorem_size_grows_as_eps_shrinks(name, kind):
    target = fixed_target(name, kind)
    cons, widths = configured(name, target), target.feature_widths
    coarse, fine = cons.size(widths, 0.1, 0.01, 1.0), cons.size(widths, 0.001, 0.01, 1.0)
    assert len(coarse) == 2 and all(isinstance(v, int) and v >= 1 for v in coarse)
    assert all(f > c for f, c in zip(fine, coarse, strict=True))
    assert len(cons.theorem.citation) > 0 and len(cons.theorem.width) > 0


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
@given(seed=seeds, scale=st.floats(1.01, 4.0))
def test_check_target_refuses_norm_above_one_and_rescale_fixes_it(name, kind, seed, scale):
    """Layer 2 pushed out of the class (spectral norm for a dense layer, the kernel's l1 norm
    for a convolution) is refused naming layer 2 and the norm; the rescale factors fix it."""
    cons = CONSTRUCTIONS[name]
    if kind == "conv":
        target = random_conv_target((1, 5, 5), (2, 2), generator=generator(seed))
        norm, what = target.weights[1].abs().sum(), "l1 norm"
    else:
        target = in_class(cons, (3, 3, 2), seed)
        norm, what = torch.linalg.matrix_norm(target.weights[1], ord=2), "spectral norm"
    assert cons.check_target(target) == []
    second = dataclasses.replace(target.layers[1], weight=target.weights[1] * (scale / norm))
    bad = Network((target.layers[0], second), target.input_shape)
    violations = cons.check_target(bad)
    assert violations and {v.layer for v in violations} == {2}
    assert any(what in v.message for v in violations)
    factors = cons.rescale_factors(bad)
    assert factors[0] == 1.0 and 0 < factors[1] < 1
    fixed = Network(
        tuple(
            dataclasses.replace(lay, weight=lay.weight * f)
            for lay, f in zip(bad.layers, factors, strict=True)
        ),
        bad.input_shape,
    )
    assert cons.check_target(fixed) == []


@pytest.mark.parametrize(("name", "kind"), CASES, ids=CASE_IDS)
def test_run_has_the_same_json_contract_for_every_construction(name, kind):
    """Every construction's run JSON has the default run's keys (a conv target's adds keys,
    never removes one), the same keys at every n, and empirical <= certified."""
    target = fixed_target(name, kind) if kind == "conv" else None
    keys = None
    for n in (2, 3):
        r = run(
            target,
            widths=None if target is not None else (3, 3, 2),
            construction=name,
            n=n,
            eps=0.1,
            empirical_samples=64,
            ascent_steps=2,
        )
        d = r.to_json()
        assert d["construction"] == name and d["random_widths"] == list(r.random_widths)
        assert d["empirical_error"] <= d["certified_error"] + TOL[torch.float64]
        assert keys is None or set(d) == keys
        keys = set(d)
    dense_keys = set(run(widths=(3, 3, 2), n=2, empirical_samples=64, ascent_steps=2).to_json())
    assert keys == dense_keys if kind == "dense" else keys >= dense_keys


@given(seed=seeds, widths=widths_st, n=st.integers(1, 6))
def test_greedy_subset_sum_never_beats_exact_in_pensias_construction(seed, widths, n):
    target = in_class(CONSTRUCTIONS["pensia"], widths, seed)
    _net, exact = build("pensia", target, seed, n, solver="exact")
    _, greedy = build("pensia", target, seed, n, solver="greedy")
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
