"""The per-weight error `|ŵ − w|`, split by whether the inputs a layer sees can reach it.

A half-line layer (`approx.constructions.base`) realises `W_i` twice: `P_i` acts on the
positive part of its input, `N_i` on the negative part. Layer 1 sees inputs of both signs, so
`P_1` and `N_1` both count; every later layer sees ReLU outputs, which are never negative, so
only `P_i` counts there and `N_i`'s error cannot reach the output (its units are kept by the
construction, which does not use the sign of its inputs). The certified bound
(`approx.measurement.certified`) uses the same split.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..basics.errors import InvalidArgument
from ..basics.network import Network
from ..constructions.base import HalfLineLayer


@dataclass(frozen=True)
class PerWeightError:
    """`used`: the largest `|P − W|` or `|N − W|` over the half-lines the inputs take (P and
    N in layer 1, P after it); `unused`: the largest `|N_i − W_i|` for i ≥ 2 (None for a
    single layer)."""

    used: float
    unused: float | None


def per_weight_error(target: Network, layers: tuple[HalfLineLayer, ...]) -> PerWeightError:
    """`PerWeightError` of the realised `layers` against `target`'s weights."""
    if len(layers) != target.depth:
        raise InvalidArgument(
            f"layers has {len(layers)} entries but the target has depth {target.depth}"
        )

    def worst(a: torch.Tensor, w: torch.Tensor) -> float:
        return float((a - w).abs().max()) if w.numel() else 0.0

    used, unused = [], []
    for i, (lay, w) in enumerate(zip(layers, target.weights, strict=True)):
        used.append(worst(lay.P, w))
        (used if i == 0 else unused).append(worst(lay.N, w))
    return PerWeightError(max(used), max(unused) if unused else None)
