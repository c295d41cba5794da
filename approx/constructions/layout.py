"""Pensia et al.'s depth-2l layout, shared by every construction that prunes it.

For target layer i (`W_i` is `d_i × d_{i-1}`) the random network has

    M_{2i-1}: (2·d_{i-1}·n_i) × d_{i-1},      M_{2i}: d_i × (2·d_{i-1}·n_i),

i.i.d. Uniform[-1, 1]. Hidden units `j·2n … (j+1)·2n − 1` serve input coordinate j: each keeps
only its edge from `h_j` (weight `a`), so with edge `b` to output k it contributes `ab·h_j` on
the half line of `h_j` where `a h_j > 0`. Every target weight `W_kj` therefore has `2n`
candidate products `b_{k,u} a_u`, the units with `a > 0` serving `h_j ≥ 0` and those with
`a < 0` serving `h_j < 0`. A construction only decides which candidates each output keeps
(`HalfLineLayout.match`); sampling, the layout checks and the masks are the same for all.
"""

from __future__ import annotations

import itertools

import torch

from ..errors import InvalidArgument
from ..masks import Masks
from ..nets import ReLUNet
from ..random_nets import sample_weights
from .base import HalfLineLayer, Pruned, Violation


def unit_input_weights(m1: torch.Tensor, d_in: int, n: int) -> torch.Tensor:
    """The incoming weight `a` of each hidden unit from the one input it serves: `(d_in, 2n)`,
    `a[j, r] = M1[j·2n + r, j]` (a view into `m1` when `m1` is contiguous)."""
    return torch.diagonal(m1.reshape(d_in, 2 * n, d_in), dim1=0, dim2=2).T  # (d_in, 2n)


def spectral_norm_violations(target: ReLUNet) -> list[Violation]:
    """The layers breaking `||W_i||_2 ≤ 1` (with a relative slack of 1e-9 for targets scaled
    exactly onto the bound)."""
    return [
        Violation(i, f"layer {i} has spectral norm {norm:.6g} > 1")
        for i, norm in enumerate(target.spectral_norms(), start=1)
        if norm > 1 + 1e-9
    ]


class HalfLineLayout:
    """Sizing-independent half of a construction on this layout: widths, sampling, and a
    `prune` that hands each layer's candidate products to `match`."""

    name: str
    search: str  # how `match` chooses, for the report

    def random_widths(self, target_widths: tuple[int, ...], n: tuple[int, ...]) -> tuple[int, ...]:
        widths = [target_widths[0]]
        for d_in, d_out, n_i in zip(target_widths[:-1], target_widths[1:], n, strict=True):
            widths += [2 * d_in * n_i, d_out]
        return tuple(widths)

    def sample(
        self,
        target_widths: tuple[int, ...],
        n: tuple[int, ...],
        *,
        generator: torch.Generator,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float64,
    ) -> ReLUNet:
        widths = self.random_widths(target_widths, n)
        return ReLUNet(
            tuple(
                sample_weights((d_out, d_in), generator=generator, device=device, dtype=dtype)
                for d_in, d_out in itertools.pairwise(widths)
            )
        )

    def match(
        self,
        products: torch.Tensor,
        w: torch.Tensor,
        pos: torch.Tensor,
        neg: torch.Tensor,
        *,
        solver: str,
        tolerance: float | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Which candidates each output keeps. `products`, `pos`, `neg` `(d_out, d_in, 2n)`
        (candidate values, and which serve each half line), `w` `(d_out, d_in)`. Returns
        `chosen` `(d_out, d_in, 2n)` bool within `pos | neg`, and `P`, `N` `(d_out, d_in)`:
        the sums of the kept positive and negative candidates."""
        raise NotImplementedError

    def prune(
        self,
        target: ReLUNet,
        random_net: ReLUNet,
        *,
        solver: str = "exact",
        tolerance: float | None = None,
    ) -> Pruned:
        if random_net.depth != 2 * target.depth:
            raise InvalidArgument(
                f"random_net has depth {random_net.depth}; the {self.name} construction needs "
                f"2 x target depth = {2 * target.depth}"
            )
        masks, layers = [], []
        for i, w in enumerate(target.weights):
            m1, m2 = random_net.weights[2 * i], random_net.weights[2 * i + 1]
            d_out, d_in = w.shape
            hidden = m1.shape[0]
            if m1.shape[1] != d_in or hidden % (2 * d_in) or m2.shape != (d_out, hidden):
                raise InvalidArgument(
                    f"random_net layers {2 * i + 1},{2 * i + 2} have shapes "
                    f"{tuple(m1.shape)}, {tuple(m2.shape)}; not the depth-2l layout for a "
                    f"{d_out}x{d_in} target layer"
                )
            n = hidden // (2 * d_in)
            a = unit_input_weights(m1, d_in, n)  # (d_in, 2n)
            products = m2.reshape(d_out, d_in, 2 * n) * a  # (d_out, d_in, 2n): b_{k,u} a_u
            pos = (a > 0).expand(d_out, d_in, 2 * n)
            neg = (a < 0).expand(d_out, d_in, 2 * n)
            chosen, P, N = self.match(products, w, pos, neg, solver=solver, tolerance=tolerance)
            # a unit no output keeps loses its incoming edge too
            mask1 = torch.zeros(m1.shape, dtype=torch.bool, device=m1.device)
            unit_input_weights(mask1, d_in, n).copy_(chosen.any(dim=0))  # view into mask1
            masks += [mask1, chosen.reshape(d_out, hidden)]
            layers.append(HalfLineLayer(P=P, N=N))
        return Pruned(
            masks=Masks(tuple(masks)),
            layers=tuple(layers),
            n_instances=2 * sum(w.numel() for w in target.weights),
            search=self.describe_search(solver, tolerance),
        )

    def describe_search(self, solver: str, tolerance: float | None) -> str:
        return self.search
