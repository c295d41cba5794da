"""A ticket as a standalone network: the masked network with its dead hidden units removed.

`compact(net, masks)` computes the same function as `masks.apply(net)` on fewer units:

- a hidden unit no kept weight leaves (no kept outgoing weight) cannot matter: dropped;
- a hidden unit no kept weight enters outputs the constant `activation(b)` (`b` its kept bias,
  or 0): that constant times its outgoing weights is folded into the next layer's bias, and
  the unit dropped (for ReLU, leaky ReLU and tanh without a bias the constant is 0, so nothing
  is folded; sigmoid's is ½);
- repeated until nothing changes, since dropping a unit can leave its neighbours dead.

Pruned weights are exact zeros in `masks.apply(net)`, so removing them changes the value only
by rounding (the next layer sums fewer, or differently ordered, terms; a folded constant is
added once instead of per point). A layer whose units all die keeps one unit of zero weights,
so that every layer has a width (its output is then folded or multiplied by zero).
Dense networks only: a convolutional layer is refused, naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from .errors import InvalidArgument
from .network import Dense, Network

if TYPE_CHECKING:  # masks.py builds on compact (without_dead_units)
    from .masks import Masks


def compact(net: Network, masks: Masks) -> Network:
    """The ticket `masks.apply(net)` with its dead hidden units removed (module docstring)."""
    for i, layer in enumerate(net.layers, start=1):
        if layer.kind != "dense":
            raise InvalidArgument(
                f"compact takes dense networks only; layer {i} is {layer.describe()}"
            )
    sub = masks.apply(net)
    # apply's weights are fresh tensors (torch.where), ours to edit in place: no second copy
    # of the random network (424 MB on a 784-500-10 run's 53M float64 weights)
    weights = list(sub.weights)
    has_bias = [b is not None for b in sub.biases]
    biases = [
        b.clone() if b is not None else torch.zeros(w.shape[0], dtype=w.dtype, device=w.device)
        for w, b in zip(weights, sub.biases, strict=True)
    ]
    acts = sub.activations
    del sub  # else each slice below would live beside the unsliced layer it replaces
    changed = True
    while changed:  # dropping a unit can leave units of the neighbouring layers dead
        changed = False
        for i in range(len(weights) - 1):
            alive = _fold_constant_units(weights, biases, has_bias, acts, i)
            if bool(alive.all()):
                continue
            if not bool(alive.any()):  # keep one unit of zero weights: every layer has a width
                alive[0] = True
                weights[i][0] = 0
                biases[i][0] = 0
                weights[i + 1][:, 0] = 0
                if weights[i].shape[0] == 1:
                    continue
            changed = True
            weights[i], biases[i] = weights[i][alive], biases[i][alive]
            weights[i + 1] = weights[i + 1][:, alive]
    layers = tuple(
        Dense(w, b if keep else None, a)
        for w, b, keep, a in zip(weights, biases, has_bias, acts, strict=True)
    )
    return Network(layers)


def _fold_constant_units(weights, biases, has_bias, acts, i: int) -> torch.Tensor:
    """Fold the constant outputs of layer i's unfed units into layer i + 1's bias; the units of
    layer i that are still needed (fed and used)."""
    w, b, nxt = weights[i], biases[i], weights[i + 1]
    used = (nxt != 0).any(0)  # (d_i,): some kept weight leaves it
    fed = (w != 0).any(1)  # (d_i,): some kept weight enters it
    constant = used & ~fed
    if bool(constant.any()):
        value = acts[i](b[constant])  # its output, whatever the input
        if bool((value != 0).any()):
            biases[i + 1] = biases[i + 1] + nxt[:, constant] @ value
            has_bias[i + 1] = True
        nxt[:, constant] = 0
    return used & fed
