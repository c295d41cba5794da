"""`masked_forward(..., drop_dead_units=True)` against the dense forward pass of the masked
network (the oracle), for ReLU and for an activation with σ(0) ≠ 0."""

from __future__ import annotations

import itertools

import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.masks import Masks, masked_forward, without_dead_units
from approx.basics.network import Activation, Network

from .support import TOL, generator, seeds

F64 = torch.float64


@given(
    seed=seeds,
    widths=st.lists(st.integers(1, 12), min_size=2, max_size=5).map(tuple),
    keep=st.sampled_from([0.02, 0.1, 0.5, 1.0]),
    activation=st.sampled_from(["relu", "sigmoid", "tanh"]),
)
def test_dropping_dead_units_keeps_the_function(seed, widths, keep, activation):
    g = generator(seed)
    weights = [torch.randn(b, a, generator=g, dtype=F64) for a, b in itertools.pairwise(widths)]
    net = Network.dense(weights, activation=Activation.parse(activation))
    masks = Masks(tuple(torch.rand(w.shape, generator=g) < keep for w in weights))
    x = torch.randn(32, widths[0], generator=g, dtype=F64)
    want = masks.apply(net).forward(x)
    got = masked_forward(net, masks, drop_dead_units=True)(x)
    assert torch.allclose(got, want, rtol=0, atol=TOL[F64])
    small, kept = without_dead_units(net, masks)
    assert small.widths[0] == net.widths[0] and small.widths[-1] == net.widths[-1]
    assert kept.n_kept <= masks.n_kept
    if activation == "relu":  # σ(0) = 0: every unit left is fed and used
        for m_in, m_out in zip(kept.masks, kept.masks[1:], strict=False):
            alive = m_in.any(1) & m_out.any(0)
            assert bool(alive.all()) or m_in.shape[0] == 1


def test_a_bias_leaves_the_network_as_it_is():
    w = [torch.ones(3, 2, dtype=F64), torch.ones(1, 3, dtype=F64)]
    net = Network.dense(w, biases=[torch.ones(3, dtype=F64), None])
    masks = Masks((torch.zeros(3, 2, dtype=torch.bool), torch.ones(1, 3, dtype=torch.bool)))
    small, same = without_dead_units(net, masks)
    assert small is net and same is masks
