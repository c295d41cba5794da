"""Pensia et al.'s construction: layout, masks, and the identity masked net = realised net."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.sampling import random_target
from approx.constructions import get_construction, realised_forward
from approx.constructions.layout import unit_input_weights

from .support import TOL, generator, seeds

PENSIA = get_construction("pensia")


def build(seed, widths, n):
    target = random_target(widths, generator=generator(seed))
    net = PENSIA.sample(widths, n, generator=generator(seed + 1))
    return target, net, PENSIA.prune(target, net, solver="exact")


def test_layout_matches_the_paper():
    widths, n = (3, 5, 2), (4, 6)
    net = PENSIA.sample(widths, n, generator=generator(0))
    shapes = [tuple(w.shape) for w in net.weights]
    # M_{2i-1}: (2 d_{i-1} n_i, d_{i-1}), M_{2i}: (d_i, 2 d_{i-1} n_i)
    assert shapes == [(24, 3), (5, 24), (60, 5), (2, 60)]
    assert net.n_params == sum(2 * a * a * k + 2 * a * b * k for a, b, k in [(3, 5, 4), (5, 2, 6)])
    assert bool((net.weights[0].abs() <= 1).all())


@given(
    seed=seeds,
    widths=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
    n=st.integers(1, 6),
)
def test_masked_random_net_equals_realised_net(seed, widths, n):
    """The construction identity: the masked depth-2l network computes exactly
    L̂_l ∘ σ ∘ … ∘ L̂_1 with L̂_i(h) = P_i σ(h) − N_i σ(−h), on inputs of both signs."""
    _target, net, pruned = build(seed, widths, (n,) * (len(widths) - 1))
    sub = pruned.masks.apply(net)
    x = torch.randn(64, widths[0], generator=generator(seed + 2), dtype=torch.float64)
    assert torch.allclose(sub(x), realised_forward(pruned.layers, x), atol=TOL[torch.float64])


@given(seed=seeds, n=st.integers(1, 6))
def test_masks_follow_lemmas_1_to_3(seed, n):
    widths = (3, 4, 2)
    target, net, pruned = build(seed, widths, (n, n))
    for i, w in enumerate(target.weights):
        d_out, d_in = w.shape
        m1, m2 = pruned.masks.masks[2 * i], pruned.masks.masks[2 * i + 1]
        # each hidden unit keeps at most its one edge, from the input it serves
        off_diagonal = m1.clone()
        unit_input_weights(off_diagonal, d_in, n).zero_()
        assert not off_diagonal.any()
        used = unit_input_weights(m1, d_in, n)  # (d_in, 2n)
        # a unit kept by some output keeps its incoming edge, and only then
        assert torch.equal(used, m2.view(d_out, d_in, 2 * n).any(0))
        # P and N are the sums of kept products over positive / negative units
        a = unit_input_weights(net.weights[2 * i], d_in, n)
        prod = net.weights[2 * i + 1].view(d_out, d_in, 2 * n) * a
        kept = m2.view(d_out, d_in, 2 * n)
        P = (prod * (kept & (a > 0))).sum(-1)
        N = (prod * (kept & (a < 0))).sum(-1)
        layer = pruned.layers[i]
        assert torch.allclose(P, layer.P, atol=TOL[torch.float64])
        assert torch.allclose(N, layer.N, atol=TOL[torch.float64])
        # the empty subset is allowed, so no weight is realised worse than by zero
        assert bool(((layer.P - w).abs() <= w.abs() + TOL[torch.float64]).all())
        assert bool(((layer.N - w).abs() <= w.abs() + TOL[torch.float64]).all())


def test_more_samples_per_weight_shrink_the_error():
    """Exact subset sums over ~n products: the median per-weight error falls by orders of
    magnitude from n=4 to n=16 (it falls like 2^-n; a 100x drop is a conservative threshold
    that fails only if the search is broken)."""
    widths = (8, 8)
    errs = []
    for n in (4, 16):
        target, _net, pruned = build(3, widths, (n,))
        lay, w = pruned.layers[0], target.weights[0]
        errs.append(float(torch.cat([(lay.P - w).abs(), (lay.N - w).abs()]).median()))
    assert errs[1] < errs[0] / 100
