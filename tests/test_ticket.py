"""The compacted ticket against its oracle, the masked dense network; the exported files."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from approx import run
from approx.basics.errors import InvalidArgument
from approx.basics.loading import load_network
from approx.basics.masks import Masks
from approx.basics.network import Activation, Conv2d, Network
from approx.basics.ticket import compact
from approx.pipeline.export import export_ticket

from .support import generator, seeds

REPO = Path(__file__).resolve().parents[1]
ACTIVATIONS = ["relu", "leaky_relu(0.1)", "tanh", "sigmoid"]


def _random_ticket(seed: int, widths, activation: str, bias: bool, keep: float):
    g = generator(seed)
    weights = [
        torch.randn(b, a, generator=g, dtype=torch.float64) for a, b in itertools.pairwise(widths)
    ]
    biases = [torch.randn(w.shape[0], generator=g, dtype=torch.float64) for w in weights]
    net = Network.dense(
        weights, biases=biases if bias else None, activation=Activation.parse(activation)
    )
    masks = [torch.rand(w.shape, generator=g) < keep for w in weights]
    bias_masks = [torch.rand(b.shape, generator=g) < keep for b in biases] if bias else None
    return net, Masks(tuple(masks), None if bias_masks is None else tuple(bias_masks))


@settings(max_examples=60, deadline=None)
@given(
    seed=seeds,
    widths=st.lists(st.integers(1, 7), min_size=2, max_size=5),
    activation=st.sampled_from(ACTIVATIONS),
    bias=st.booleans(),
    keep=st.sampled_from([0.05, 0.2, 0.5, 1.0]),
)
def test_compact_computes_the_masked_network_on_no_more_units(seed, widths, activation, bias, keep):
    net, masks = _random_ticket(seed, widths, activation, bias, keep)
    small = compact(net, masks)
    x = torch.randn(64, widths[0], generator=generator(seed + 1), dtype=torch.float64)
    want = masks.apply(net)(x)
    assert torch.allclose(small(x), want, rtol=1e-12, atol=1e-12)
    assert small.widths[0] == widths[0] and small.widths[-1] == widths[-1]
    assert all(a <= b for a, b in zip(small.widths, widths, strict=True))
    # no dead unit is left, except the one a layer keeps when all of its units die
    for w, nxt in itertools.pairwise(small.weights):
        dead = ~(w != 0).any(1) | ~(nxt != 0).any(0)
        assert not bool(dead.any()) or w.shape[0] == 1


def test_compact_removes_units_and_folds_sigmoid_constants():
    """A sigmoid unit fed by nothing outputs ½: its share moves into the next bias."""
    w1 = torch.tensor([[1.0, 0.0], [0.0, 0.0], [2.0, -1.0]], dtype=torch.float64)
    w2 = torch.tensor([[1.0, 3.0, 0.0]], dtype=torch.float64)  # unit 3 unused, unit 2 unfed
    net = Network.dense([w1, w2], activation=Activation.parse("sigmoid"))
    masks = Masks(tuple(torch.ones_like(w, dtype=torch.bool) for w in (w1, w2)))
    small = compact(net, masks)
    assert small.widths == (2, 1, 1)
    assert small.biases[1] is not None and float(small.biases[1]) == pytest.approx(1.5)
    x = torch.randn(10, 2, generator=generator(0), dtype=torch.float64)
    assert torch.allclose(small(x), net(x), rtol=1e-14, atol=1e-14)


def test_compact_refuses_a_convolution_naming_the_layer():
    conv = Conv2d(torch.zeros(2, 1, 3, 3, dtype=torch.float64), None, Activation.parse("relu"))
    net = Network((conv,), input_shape=(1, 4, 4))
    with pytest.raises(InvalidArgument, match="layer 1 is Conv2d"):
        compact(net, Masks((torch.ones(2, 1, 3, 3, dtype=torch.bool),)))


def test_a_runs_ticket_loses_its_dead_units_and_exports_four_loadable_forms(tmp_path):
    result = run(widths=(6, 6, 3), n=8, empirical_samples=64, ascent_steps=0)
    art = result.artifacts
    small = compact(art.random_net, art.pruned.masks)
    hidden = sum(small.widths[1:-1])
    assert hidden < sum(art.random_net.widths[1:-1])  # some units of the random net are dead
    assert sum(int((w != 0).sum()) for w in small.weights) <= art.pruned.masks.n_kept
    x = torch.randn(50, 6, generator=generator(3), dtype=torch.float64)
    masked = art.pruned.masks.apply(art.random_net)
    assert torch.allclose(small(x), masked(x), rtol=1e-12, atol=1e-13)
    written = export_ticket(art.random_net, art.pruned.masks, tmp_path / "ticket")
    assert sorted(p.name for p in written) == [
        "random_pruned.pt",
        "ticket.json",
        "ticket.pt",
        "ticket_sparse.pt",
    ]
    loaded = load_network(tmp_path / "ticket" / "ticket.pt")
    assert loaded.widths == small.widths
    assert torch.allclose(loaded(x), small(x), rtol=0, atol=0)
    sparse = torch.load(tmp_path / "ticket" / "ticket_sparse.pt", weights_only=True)
    for s, w in zip(sparse["weights"], small.weights, strict=True):
        assert s.layout == torch.sparse_csr and torch.equal(s.to_dense(), w)
    pruned = torch.load(tmp_path / "ticket" / "random_pruned.pt", weights_only=True)
    masks = [v for k, v in pruned.items() if k.endswith("weight_mask")]  # in layer order
    for m, want in zip(masks, art.pruned.masks, strict=True):
        assert torch.equal(m.bool(), want)


def test_inference_script_smoke_every_form_computes_the_masked_network():
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "ticket_inference.py"), "--smoke"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout.strip().splitlines()[-1])
    (net,) = data["networks"]
    rows = {r["form"]: r for r in net["rows"]}
    assert len(rows) == 6 and all(r["seconds_batch_256"] > 0 for r in rows.values())
    for form in ("compacted ticket", "compacted, sparse CSR", "prune.custom_from_mask"):
        assert rows[form]["max_output_gap_vs_masked"] < 1e-5  # float32 rounding
        assert rows[form]["nonzero_weights"] == rows["masked (dense, zeros)"]["nonzero_weights"]
    assert rows["random network"]["max_output_gap_vs_masked"] > 1e-3  # it is not the ticket
