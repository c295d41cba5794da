"""The empirical search of a run evaluates the compacted ticket (dead hidden units removed):
structurally smaller than the masked random network, and the same function up to rounding,
checked against the dense forward pass of the masked network (the oracle)."""

from __future__ import annotations

import pytest
import torch

from approx.basics.masks import without_dead_units
from approx.measurement.stored import stored_layers
from approx.pipeline.measure import search
from approx.pipeline.run import run

F64 = torch.float64


@pytest.mark.parametrize(
    "options",
    [
        dict(widths=(4, 4, 2), eps=0.1, seed=0),
        dict(construction="malach", widths=(4, 4, 2), eps=0.1, seed=1),
        dict(widths=(3, 8, 2), eps=0.05, seed=2, dtype="float32"),
    ],
)
def test_the_search_measures_the_masked_network_on_the_compacted_ticket(options):
    r = run(**options, empirical_samples=1, ascent_steps=0)
    a = r.artifacts
    small, _ = without_dead_units(a.random_net, a.pruned.masks)
    # the subset sums leave units unused: the ticket is structurally smaller
    assert sum(small.widths[1:-1]) < sum(a.random_net.widths[1:-1])
    stored = stored_layers(a.target, a.random_net, a.pruned.masks)
    found = search(
        a.target, a.random_net, a.pruned, stored, generator=torch.Generator().manual_seed(0),
        n_samples=512, ascent_steps=2,
    )  # fmt: skip
    x = found.argmax[None, :].to(F64)
    f = a.target.to(dtype=F64).forward(x)
    dense = a.pruned.masks.apply(a.random_net.to(dtype=F64)).forward(x)
    want = float((f - dense).norm())
    # the value is the masked network's error at the point found, up to float64 rounding of
    # outputs of size ~1 (a float32 run is measured on its stored weights read as reals,
    # `f + (g̃ − f)`, which the dense float64 pass of the widened weights computes too)
    assert found.value == pytest.approx(want, rel=1e-6, abs=1e-12)
    assert found.value > 0
