"""Boolean masks over a network's weights: True = keep, False = prune (set to zero).

A masked network keeps each kept weight bit-identical to the random network's (selection via
`torch.where`, never a multiplication), so the subnetwork is literally a subset of the random
network's weights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils import prune

from .errors import InvalidArgument, as_tuple
from .network import Network
from .ticket import compact


def _keep(mask: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    return torch.where(mask.to(t.device), t, torch.zeros((), dtype=t.dtype, device=t.device))


def kept_sum(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """`(values * keep).sum(1)` bit for bit, `values` `(m, k)` float, `keep` `(m, k)` bool:
    the pruned entries are selected away as +0.0 instead of multiplied to ±0.0, which adds
    the same (torch's sums start from +0.0, and a nonzero partial sum plus ±0.0 is itself), so
    neither the mask's float copy nor the product is made: 0.12-0.15 s instead of 0.18-0.22 s
    on the 784-500-10 prune's (784,000, 42) float64 rows (two threads). The selection is
    written in `values`' own memory layout, as the product is, so that the sum runs in the
    product's order for any strides."""
    out = torch.empty_like(values)
    zero = torch.zeros((), dtype=values.dtype, device=values.device)
    return torch.where(keep.to(values.device), values, zero, out=out).sum(1)


@dataclass(frozen=True)
class Masks:
    """One `torch.bool` tensor per weight tensor, each with that tensor's shape; `biases`
    (optional) one per layer: a bool tensor shaped like that layer's bias, or None to keep the
    whole bias (and for a layer without one).

    A sequence of the weight masks: `len(masks)`, `for m in masks`, `masks[i]`.
    `masks.prune_module(module)` applies them to a torch module with torch's own pruning API.
    """

    masks: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor | None, ...] | None = None

    def __post_init__(self) -> None:
        masks = as_tuple("masks", self.masks, "a list of torch.bool tensors")
        object.__setattr__(self, "masks", masks)
        for i, m in enumerate(masks):
            if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
                raise InvalidArgument(f"masks[{i}] must be a torch.bool tensor")
        if self.biases is not None:
            biases = as_tuple("biases", self.biases, "a list of torch.bool tensors or None")
            object.__setattr__(self, "biases", biases)
            if len(biases) != len(masks):
                raise InvalidArgument(
                    f"biases has {len(biases)} entries but masks has {len(masks)}"
                )
            for i, m in enumerate(biases):
                if m is not None and (not isinstance(m, torch.Tensor) or m.dtype != torch.bool):
                    raise InvalidArgument(f"biases[{i}] must be a torch.bool tensor or None")

    def check_fits(self, net: Network) -> None:
        if len(self.masks) != net.depth:
            raise InvalidArgument(
                f"masks has {len(self.masks)} tensors but the network has {net.depth} layers"
            )
        for i, (m, w) in enumerate(zip(self.masks, net.weights, strict=True)):
            if m.shape != w.shape:
                raise InvalidArgument(
                    f"masks[{i}] has shape {tuple(m.shape)} but weights[{i}] has {tuple(w.shape)}"
                )
        for i, (m, b) in enumerate(zip(self.biases or (), net.biases, strict=False)):
            if m is not None and (b is None or m.shape != b.shape):
                have = "no bias" if b is None else f"bias shape {tuple(b.shape)}"
                raise InvalidArgument(
                    f"biases[{i}] has shape {tuple(m.shape)} but layer {i} has {have}"
                )

    def apply(self, net: Network) -> Network:
        """The subnetwork: pruned weights (and biases) set to zero, kept ones bit-identical."""
        self.check_fits(net)
        pruned = net.with_weights(_keep(m, w) for m, w in zip(self.masks, net.weights, strict=True))
        if self.biases is None:
            return pruned
        return pruned.with_biases(
            b if m is None else _keep(m, b) for m, b in zip(self.biases, net.biases, strict=True)
        )

    def __len__(self) -> int:
        return len(self.masks)

    def __iter__(self) -> Iterator[torch.Tensor]:
        return iter(self.masks)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.masks[i]

    def prune_module(self, module: nn.Module) -> nn.Module:
        """Prune `module` in place with torch's pruning API: the i-th `nn.Linear` / `nn.Conv2d`
        of `module.modules()` (e.g. `approx.network_to_module(random_net)`) gets
        `torch.nn.utils.prune.custom_from_mask(layer, "weight", masks[i])` — afterwards it has
        `weight_orig`, `weight_mask` and `weight = weight_orig * weight_mask` — and its bias
        mask, where one is given. `torch.nn.utils.prune.remove` makes it permanent. Returns
        `module`. Shapes are checked before anything is changed."""
        layers = [m for m in module.modules() if isinstance(m, nn.Linear | nn.Conv2d)]
        if len(layers) != len(self.masks):
            raise InvalidArgument(
                f"module has {len(layers)} Linear/Conv2d layers but masks has {len(self.masks)}"
            )
        biases = self.biases or (None,) * len(layers)
        for i, (layer, m, b) in enumerate(zip(layers, self.masks, biases, strict=True)):
            if layer.weight.shape != m.shape:
                raise InvalidArgument(
                    f"masks[{i}] has shape {tuple(m.shape)} but the module's layer {i} weight "
                    f"has {tuple(layer.weight.shape)}"
                )
            if b is not None and (layer.bias is None or layer.bias.shape != b.shape):
                raise InvalidArgument(f"biases[{i}] does not fit the module's layer {i} bias")
        for layer, m, b in zip(layers, self.masks, biases, strict=True):
            prune.custom_from_mask(layer, "weight", m.to(layer.weight.device))
            if b is not None:
                prune.custom_from_mask(layer, "bias", b.to(layer.bias.device))
        return module

    def __and__(self, other: Masks) -> Masks:
        """Composition only removes: a weight is kept iff both masks keep it."""
        if len(self.masks) != len(other.masks) or any(
            a.shape != b.shape for a, b in zip(self.masks, other.masks, strict=True)
        ):
            raise InvalidArgument("masks to combine must have the same shapes")
        return Masks(tuple(a & b for a, b in zip(self.masks, other.masks, strict=True)))

    @property
    def n_kept(self) -> int:
        """Kept weights (and kept bias entries where bias masks are given)."""
        return sum(int(m.count_nonzero()) for m in self._all())

    @property
    def n_total(self) -> int:
        return sum(m.numel() for m in self._all())

    def _all(self) -> tuple[torch.Tensor, ...]:
        return self.masks + tuple(m for m in self.biases or () if m is not None)

    @property
    def density(self) -> float:
        """Kept / total."""
        return self.n_kept / self.n_total

    def n_kept_per_layer(self) -> tuple[int, ...]:
        return tuple(int(m.count_nonzero()) for m in self.masks)


def without_dead_units(net: Network, masks: Masks) -> tuple[Network, Masks]:
    """The same function on fewer hidden units, for a dense, bias-free `net` (else unchanged):
    `approx.basics.ticket.compact` (a unit no kept weight leaves is dropped, and one no kept
    weight enters is dropped after its constant output is folded into the next bias), with
    the masks of the compacted network's nonzero weights. The values are the same up to
    rounding: the next layer sums fewer (zero) terms, possibly in another order."""
    if not net.is_dense or masks.biases is not None or any(b is not None for b in net.biases):
        return net, masks
    small = compact(net, masks)
    return small, Masks(tuple(w != 0 for w in small.weights))


def masked_forward(
    net: Network, masks: Masks, *, drop_dead_units: bool = False
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The forward pass of `masks.apply(net)`, `(batch, d_0) -> (batch, d_l)`, faster where a
    dense layer keeps at most one weight per row (every depth-2l construction's first layer of
    each pair: a hidden unit keeps only its edge from one input). Such a layer is a gather and
    a scale, `h[:, u] = x[:, col[u]] · w[u]`, which is the dense product's value exactly (the
    other terms are exact zeros); other layers stay dense. Differentiable in the input.
    `drop_dead_units`: first remove the hidden units that cannot matter (`without_dead_units`),
    for tickets that keep few of very many units (a different summation order, so the values
    may differ from the dense pass in the last bits)."""
    if drop_dead_units:
        small, masks = without_dead_units(net, masks)
        # compact's weights are the kept ones already (its masks are `w != 0`): no second copy
        sub = small if small is not net else masks.apply(net)
    else:
        sub = masks.apply(net)
    if not sub.is_dense:
        return sub.forward
    # per layer what the pass needs, and nothing else: a gather layer's dense weights (most of
    # a construction's parameters) are freed when this returns, not held by the closure
    steps: list[tuple[str, torch.Tensor, torch.Tensor | None, torch.Tensor | None, Any]] = []
    for layer, m in zip(sub.layers, masks.masks, strict=True):
        w, m = layer.weight, m.to(layer.weight.device)
        if bool((m.sum(1) <= 1).all()):
            col = m.to(torch.uint8).argmax(1)  # (d_out,): the kept column (0 if none)
            val = w.gather(1, col[:, None]).squeeze(1)  # (d_out,): 0 where nothing is kept
            steps.append(("gather", col, val, layer.bias, layer.activation))
        else:
            steps.append(("dense", w, None, layer.bias, layer.activation))
    del sub

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = x
        for kind, a, b, bias, activation in steps:
            h = h[:, a] * b if kind == "gather" else h @ a.T  # (batch, d_{i+1})
            if bias is not None:
                h = h + bias
            h = activation(h)
        return h

    return forward
