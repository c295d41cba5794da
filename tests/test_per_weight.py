"""approx.measurement.per_weight: the per-weight error over the half-lines inputs reach, and the
one no input reaches (N_i after a ReLU), shown unreachable on the realised network."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings

from approx.basics.errors import InvalidArgument
from approx.basics.sampling import random_target
from approx.constructions.base import HalfLineLayer, realised_forward
from approx.measurement.per_weight import per_weight_error

from .support import generator, seeds


def _layers(target, g, scale=1e-3):
    """Realised layers: the target's weights plus independent noise on P and on N."""
    return tuple(
        HalfLineLayer(
            P=w + scale * torch.randn(w.shape, generator=g, dtype=w.dtype),
            N=w + scale * torch.randn(w.shape, generator=g, dtype=w.dtype),
        )
        for w in target.weights
    )


@given(seed=seeds)
def test_the_split_against_its_definition(seed):
    g = generator(seed)
    target = random_target((3, 4, 2, 2), generator=g)
    layers = _layers(target, g)
    got = per_weight_error(target, layers)
    gaps = [((lay.P - w).abs().max(), (lay.N - w).abs().max()) for lay, w in
            zip(layers, target.weights, strict=True)]  # fmt: skip
    assert got.used == max(float(gaps[0][0]), float(gaps[0][1]), *(float(p) for p, _ in gaps[1:]))
    assert got.unused == max(float(n) for _, n in gaps[1:])


@settings(max_examples=15)
@given(seed=seeds)
def test_the_unused_half_line_cannot_reach_the_output(seed):
    """Changing N_i for i >= 2 by any amount leaves the realised network unchanged on every
    input: after a ReLU, N_i only ever multiplies zeros."""
    g = generator(seed)
    target = random_target((3, 4, 2), generator=g)
    layers = _layers(target, g)
    wild = (layers[0], HalfLineLayer(P=layers[1].P, N=layers[1].N + 100.0))
    x = torch.randn(64, 3, generator=g, dtype=torch.float64)
    assert torch.equal(realised_forward(layers, x), realised_forward(wild, x))
    assert per_weight_error(target, wild).used == per_weight_error(target, layers).used
    assert per_weight_error(target, wild).unused >= 99


def test_one_layer_has_no_unused_half_line_and_lengths_are_checked():
    g = generator(0)
    target = random_target((3, 2), generator=g)
    assert per_weight_error(target, _layers(target, g)).unused is None
    with pytest.raises(InvalidArgument, match=r"^layers has 2 entries"):
        per_weight_error(target, _layers(target, g) * 2)
