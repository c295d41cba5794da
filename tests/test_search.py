"""The searches that do not know the proof: what their masks are, the greedy's closed-form move
gains against recomputation, seeding, and the comparison end to end (small and fast)."""

import itertools
import json

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from approx.basics.errors import InvalidArgument
from approx.basics.masks import Masks
from approx.basics.network import Network
from approx.basics.sampling import random_target
from approx.cli import main
from approx.constructions import get_construction
from approx.pipeline.search import search
from approx.pipeline.search.compare import compare, half_line_layers
from approx.pipeline.search.edge_popup import edge_popup
from approx.pipeline.search.greedy import _pair_moves, greedy_layerwise

from .support import TOL, generator, seeds

PENSIA = get_construction("pensia")


def problem(seed, widths=(3, 3, 2), n=4):
    target = random_target(widths, generator=generator(seed))
    net = PENSIA.sample(widths, (n,) * (len(widths) - 1), generator=generator(seed + 1))
    return target, net


def sse(H, goal, A, B, mA, mB):
    return float(((torch.relu(H @ (A * mA).T) @ (B * mB).T - goal) ** 2).sum())


@given(seed=seeds, density=st.floats(0.2, 0.9))
def test_pair_moves_gain_equals_recomputed_loss_and_is_the_best(seed, density):
    """Oracle: apply every legal move, recompute the loss; the closed-form best move's gain is
    the smallest recomputed change."""
    g = generator(seed)
    S, d_in, h, d_out = 24, 2, 5, 2
    H = torch.randn(S, d_in, generator=g, dtype=torch.float64)
    goal = torch.randn(S, d_out, generator=g, dtype=torch.float64)
    A = torch.rand(h, d_in, generator=g, dtype=torch.float64) * 2 - 1
    B = torch.rand(d_out, h, generator=g, dtype=torch.float64) * 2 - 1
    mA = torch.rand(h, d_in, generator=g) < density
    mB = torch.rand(d_out, h, generator=g) < density
    mA[-1], mB[:, -1] = False, False  # one unused unit, so path moves exist
    base = sse(H, goal, A, B, mA, mB)
    R = torch.relu(H @ (A * mA).T) @ (B * mB).T - goal
    best, move = _pair_moves(H, R, A, B, mA, mB)
    changes = {}
    for k in range(d_out):
        for u in range(h):
            if mA[u].any():
                m = mB.clone()
                m[k, u] = ~m[k, u]
                changes[("out", k, u)] = sse(H, goal, A, B, mA, m) - base
    for u in range(h):
        for j in range(d_in):
            if mB[:, u].any():
                m = mA.clone()
                m[u, j] = ~m[u, j]
                changes[("in", u, j)] = sse(H, goal, A, B, m, mB) - base
            if not mA[u].any() and not mB[:, u].any():
                for k in range(d_out):
                    ma, mb = mA.clone(), mB.clone()
                    ma[u, j], mb[k, u] = True, True
                    changes[("path", k, u, j)] = sse(H, goal, A, B, ma, mb) - base
    assert best == pytest.approx(min(changes.values()), abs=1e-9)
    assert changes[move] == pytest.approx(best, abs=1e-9)


@given(seed=seeds, density=st.sampled_from([0.2, 0.5]))
def test_edge_popup_keeps_the_top_fraction_of_every_layer_and_only_prunes(seed, density):
    target, net = problem(seed)
    found = edge_popup(target, net, generator=generator(seed), density=density, steps=20)
    for m, w in zip(found.masks.masks, net.weights, strict=True):
        assert m.dtype == torch.bool and m.shape == w.shape
        assert int(m.sum()) == max(1, round(density * w.numel()))
    sub = found.masks.apply(net)
    for s, w, m in zip(sub.weights, net.weights, found.masks.masks, strict=True):
        assert torch.equal(s[m], w[m]) and bool((s[~m] == 0).all())


def test_edge_popup_keeps_the_masks_with_the_best_held_out_error():
    target, net = problem(4, n=5)
    x = torch.randn(300, 3, generator=generator(9), dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)
    found = edge_popup(target, net, generator=generator(2), steps=200, eval_points=x)
    with torch.no_grad():
        kept = float(((found.masks.apply(net)(x) - target(x)) ** 2).sum(1).mean())
    assert kept == pytest.approx(min(found.history), rel=1e-12)
    assert len(found.history) == 200 // 50 + 1 and min(found.history) < found.history[0]


def test_edge_popup_learns_and_is_reproducible():
    """On a fixed small problem the held-out mean squared error falls below 3/4 of the
    initial random masks' (measured: 0.58; edge-popup is weak at this size, docs/search.md);
    same seed, same masks."""
    target, net = problem(3, n=6)
    a = search(target, net, method="edge-popup", seed=5, steps=300, eval_every=25)
    b = search(target, net, method="edge-popup", seed=5, steps=300, eval_every=25)
    assert min(a.history) < 0.75 * a.history[0]
    assert all(torch.equal(x, y) for x, y in zip(a.masks.masks, b.masks.masks, strict=True))
    assert a.seed == 5


@given(seed=seeds)
def test_greedy_moves_only_lower_the_loss_and_leave_no_dangling_units(seed):
    target, net = problem(seed, widths=(3, 2))  # one pair: the history is one descent
    found = greedy_layerwise(target, net, generator=generator(seed), samples=64, max_steps=60)
    assert all(b < a for a, b in itertools.pairwise(found.history))
    target, net = problem(seed)
    found = greedy_layerwise(target, net, generator=generator(seed), samples=64, max_steps=60)
    for i in range(target.depth):
        mA, mB = found.masks.masks[2 * i], found.masks.masks[2 * i + 1]
        assert torch.equal(mA.any(1), mB.any(0))  # kept units have an input and an output


def test_greedy_beats_the_empty_mask_and_is_reproducible():
    target, net = problem(4, n=6)
    a = search(target, net, method="greedy", seed=1, samples=128, max_steps=200)
    b = search(target, net, method="greedy", seed=1, samples=128, max_steps=200)
    x = torch.randn(128, 3, generator=generator(9), dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)
    empty = float((target(x) ** 2).sum(1).mean())
    found = float(((a.masks.apply(net)(x) - target(x)) ** 2).sum(1).mean())
    assert found < empty / 10
    assert all(torch.equal(p, q) for p, q in zip(a.masks.masks, b.masks.masks, strict=True))


@given(seed=seeds, n=st.integers(1, 4))
def test_half_line_layers_of_constructive_masks_are_the_constructions(seed, n):
    target, net = problem(seed, n=n)
    pruned = PENSIA.prune(target, net)
    layers = half_line_layers(net, pruned.masks)
    for got, want in zip(layers, pruned.layers, strict=True):
        assert torch.allclose(got.P, want.P, atol=TOL[torch.float64])
        assert torch.allclose(got.N, want.N, atol=TOL[torch.float64])


def test_half_line_layers_refuses_a_unit_with_two_inputs():
    target, net = problem(0, n=2)
    masks = list(PENSIA.prune(target, net).masks.masks)
    masks[0] = masks[0].clone()
    masks[0][0, :2] = True
    assert half_line_layers(net, Masks(tuple(masks))) is None


def test_arguments_are_checked():
    target, net = problem(0)
    with pytest.raises(InvalidArgument, match="method='nope'"):
        search(target, net, method="nope")
    with pytest.raises(InvalidArgument, match=r"density=1\.5"):
        edge_popup(target, net, generator=generator(0), density=1.5)
    shallow = Network.dense(net.weights[:2])
    with pytest.raises(InvalidArgument, match="2 x target depth"):
        greedy_layerwise(target, shallow, generator=generator(0))
    with pytest.raises(InvalidArgument, match=r"construction='burkholz'.*depth 3"):
        compare(widths=(2, 2, 1), construction="burkholz", n=3)  # depth l + 1: refused at once


def test_compare_and_cli_report_every_method_against_the_construction(capsys):
    c = compare(widths=(2, 2, 1), n=3, steps=40, max_steps=40, empirical_samples=64, ascent_steps=2)
    methods = [r.method for r in c.rows]
    assert methods == ["empty masks", "construction (pensia)", "edge-popup", "greedy"]
    assert c.rows[0].kept == 0 and c.rows[0].certified_error is not None
    assert c.rows[1].empirical_error <= c.rows[1].certified_error + TOL[torch.float64]
    json.dumps(c.to_json())
    code = main(
        [
            "search",
            "--construction",
            "malach",
            "--widths",
            "2,2,1",
            "--n",
            "3",
            "--steps",
            "20",
            "--max-steps",
            "20",
            "--samples",
            "64",
            "--ascent-steps",
            "2",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["construction"] == "malach" and len(out["rows"]) == 4
    assert main(["search", "--method", "nope"]) == 2
