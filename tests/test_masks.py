import pytest
import torch
from hypothesis import given

from approx.basics.errors import InvalidArgument
from approx.basics.masks import Masks, kept_sum, masked_forward
from approx.basics.sampling import random_target

from .support import TOL, generator, seeds


@given(seed=seeds)
def test_masked_net_keeps_weights_bit_identical_and_only_prunes(seed):
    g = generator(seed)
    net = random_target((4, 5, 3), generator=g)
    masks = Masks(tuple(torch.rand(w.shape, generator=g) < 0.5 for w in net.weights))
    sub = masks.apply(net)
    for m, w, s in zip(masks.masks, net.weights, sub.weights, strict=True):
        assert torch.equal(s[m], w[m])  # kept: the very same values
        assert bool((s[~m] == 0).all())  # pruned: zero
    other = Masks(tuple(torch.rand(w.shape, generator=g) < 0.5 for w in net.weights))
    both = masks & other
    assert all(bool((b <= a).all()) for a, b in zip(masks.masks, both.masks, strict=True))
    assert both.n_kept <= min(masks.n_kept, other.n_kept)
    assert masks.density == masks.n_kept / masks.n_total


def test_mask_shape_and_dtype_are_checked():
    net = random_target((4, 3), generator=generator(0))
    with pytest.raises(InvalidArgument, match=r"masks\[0\] has shape"):
        Masks((torch.ones(4, 3, dtype=torch.bool),)).apply(net)
    with pytest.raises(InvalidArgument, match=r"torch\.bool"):
        Masks((torch.ones(3, 4),))
    with pytest.raises(InvalidArgument, match="2 tensors"):
        Masks((torch.ones(3, 4, dtype=torch.bool),) * 2).apply(net)


@given(seed=seeds)
def test_masked_forward_equals_the_dense_masked_net(seed):
    """The gather path for one-weight-per-row layers against the dense masked product."""
    g = generator(seed)
    net = random_target((3, 12, 4, 8, 2), generator=g)
    one_per_row = torch.zeros(12, 3, dtype=torch.bool)
    one_per_row[torch.arange(12), torch.randint(0, 3, (12,), generator=g)] = True
    one_per_row[torch.rand(12, generator=g) < 0.3] = False  # some rows keep nothing
    masks = Masks(
        (
            one_per_row,
            torch.rand(4, 12, generator=g) < 0.5,
            torch.eye(8, 4, dtype=torch.bool),
            torch.rand(2, 8, generator=g) < 0.5,
        )
    )
    x = torch.randn(16, 3, generator=g, dtype=torch.float64, requires_grad=True)
    fast = masked_forward(net, masks)(x)
    dense = masks.apply(net)(x)
    assert torch.equal(fast, dense)
    (g_fast,) = torch.autograd.grad(fast.sum(), x)
    (g_dense,) = torch.autograd.grad(dense.sum(), x)
    assert torch.allclose(g_fast, g_dense, atol=TOL[torch.float64])


@given(seed=seeds)
def test_kept_sum_is_the_product_sum_bit_for_bit(seed):
    # the oracle is the product form it replaces in the solvers' value and the stored
    # layers: equal values and equal signs of zero (rows with nothing kept, or only zeros)
    g = generator(seed)
    for dtype in (torch.float64, torch.float32):
        for m, k in ((7, 42), (3, 1), (5, 0), (1, 300)):
            values = (torch.rand(m, k, generator=g, dtype=torch.float64) * 2 - 1).to(dtype)
            values[:, ::5] = -0.0
            keep = torch.rand(m, k, generator=g) < 0.5
            keep[0] = False  # a row with nothing kept: negative values would give -0.0 terms
            flipped = keep.T.contiguous().T
            for t, kk in ((values, keep), (values.T.contiguous().T, keep), (values, flipped)):
                want, got = (t * kk).sum(1), kept_sum(t, kk)  # both layouts, either operand
                assert got.dtype == want.dtype and torch.equal(got, want)
                assert torch.equal(got.signbit(), want.signbit())
