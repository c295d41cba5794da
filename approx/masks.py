"""Boolean masks over a network's weights: True = keep, False = prune (set to zero).

A masked network keeps each kept weight bit-identical to the random network's (selection via
`torch.where`, never a multiplication), so the subnetwork is literally a subset of the random
network's weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .errors import InvalidArgument
from .nets import ReLUNet


@dataclass(frozen=True)
class Masks:
    """One `torch.bool` tensor per weight matrix, each with that matrix's shape."""

    masks: tuple[torch.Tensor, ...]

    def __post_init__(self) -> None:
        masks = tuple(self.masks)
        object.__setattr__(self, "masks", masks)
        for i, m in enumerate(masks):
            if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
                raise InvalidArgument(f"masks[{i}] must be a torch.bool tensor")

    @classmethod
    def keep_all(cls, net: ReLUNet) -> Masks:
        return cls(tuple(torch.ones_like(w, dtype=torch.bool) for w in net.weights))

    def check_fits(self, net: ReLUNet) -> None:
        if len(self.masks) != net.depth:
            raise InvalidArgument(
                f"masks has {len(self.masks)} tensors but the network has {net.depth} layers"
            )
        for i, (m, w) in enumerate(zip(self.masks, net.weights, strict=True)):
            if m.shape != w.shape:
                raise InvalidArgument(
                    f"masks[{i}] has shape {tuple(m.shape)} but weights[{i}] has {tuple(w.shape)}"
                )

    def apply(self, net: ReLUNet) -> ReLUNet:
        """The subnetwork: pruned weights set to zero, kept weights bit-identical."""
        self.check_fits(net)
        return ReLUNet(
            tuple(
                torch.where(m.to(w.device), w, torch.zeros((), dtype=w.dtype, device=w.device))
                for m, w in zip(self.masks, net.weights, strict=True)
            )
        )

    def __and__(self, other: Masks) -> Masks:
        """Composition only removes: a weight is kept iff both masks keep it."""
        if len(self.masks) != len(other.masks) or any(
            a.shape != b.shape for a, b in zip(self.masks, other.masks, strict=True)
        ):
            raise InvalidArgument("masks to combine must have the same shapes")
        return Masks(tuple(a & b for a, b in zip(self.masks, other.masks, strict=True)))

    @property
    def n_kept(self) -> int:
        return sum(int(m.sum()) for m in self.masks)

    @property
    def n_total(self) -> int:
        return sum(m.numel() for m in self.masks)

    @property
    def density(self) -> float:
        """Kept / total."""
        return self.n_kept / self.n_total

    def n_kept_per_layer(self) -> tuple[int, ...]:
        return tuple(int(m.sum()) for m in self.masks)


def masked_forward(net: ReLUNet, masks: Masks) -> Callable[[torch.Tensor], torch.Tensor]:
    """The forward pass of `masks.apply(net)`, `(batch, d_0) -> (batch, d_l)`, faster where a
    layer keeps at most one weight per row (every depth-2l construction's first layer of each
    pair: a hidden unit keeps only its edge from one input). Such a layer is a gather and a
    scale, `h[:, u] = x[:, col[u]] · w[u]`, which is the dense product's value exactly (the
    other terms are exact zeros); other layers stay dense. Differentiable in the input."""
    sub = masks.apply(net)
    layers: list[tuple[str, torch.Tensor, torch.Tensor | None]] = []
    for w, m in zip(sub.weights, masks.masks, strict=True):
        m = m.to(w.device)
        if bool((m.sum(1) <= 1).all()):
            col = m.to(torch.uint8).argmax(1)  # (d_out,): the kept column (0 if none)
            val = w.gather(1, col[:, None]).squeeze(1)  # (d_out,): 0 where nothing is kept
            layers.append(("gather", col, val))
        else:
            layers.append(("dense", w, None))

    def forward(x: torch.Tensor) -> torch.Tensor:
        h = x
        for i, (kind, a, b) in enumerate(layers):
            h = h[:, a] * b if kind == "gather" else h @ a.T  # (batch, d_{i+1})
            if i < len(layers) - 1:
                h = torch.relu(h)
        return h

    return forward
