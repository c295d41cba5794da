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

from ..basics.errors import InvalidArgument
from ..basics.masks import Masks
from ..basics.network import Network
from ..basics.sampling import sample_weights
from ..basics.tensor_checks import rounding_slack
from ..engine.subset_sum import SOLVERS
from .base import HalfLineLayer, Pruned, RowMethods, Violation


def unit_input_weights(m1: torch.Tensor, d_in: int, n: int) -> torch.Tensor:
    """The incoming weight `a` of each hidden unit from the one input it serves: `(d_in, 2n)`,
    `a[j, r] = M1[j·2n + r, j]` (a view into `m1` when `m1` is contiguous)."""
    return torch.diagonal(m1.reshape(d_in, 2 * n, d_in), dim1=0, dim2=2).T  # (d_in, 2n)


def dense_relu_violations(target: Network, name: str) -> list[Violation]:
    """What a bias-free dense ReLU theorem (Pensia's, Malach's) does not cover: a convolution,
    a non-zero bias, an activation other than ReLU between layers, or one after the last."""
    out = []
    last = target.depth
    for i, layer in enumerate(target.layers, start=1):
        what = f"layer {i} ({layer.describe()})"
        if layer.kind != "dense":
            out.append(Violation(i, f"{what} is a convolution; {name} covers dense layers only"))
        if layer.bias is not None:
            out.append(Violation(i, f"{what} has a non-zero bias; {name} covers bias-free layers"))
        want = "identity" if i == last else "relu"
        if layer.activation.name != want:
            where = "after the last layer" if i == last else "between layers"
            out.append(
                Violation(
                    i,
                    f"{what} is followed by {layer.activation}; {name} needs "
                    f"{'no activation' if i == last else 'ReLU'} {where}",
                )
            )
    return out


def norm_bound_violations(target: Network) -> list[Violation]:
    """The layers breaking `||W_i||_2 ≤ 1`, computed in float64; a norm above 1 by no more
    than the rounding of the target's own dtype (`rounding_slack`) is accepted."""
    out = []
    for i, (w, norm) in enumerate(zip(target.weights, target.spectral_norms(), strict=True), 1):
        slack = rounding_slack(w.dtype, w.numel())
        if norm > 1 + slack:
            out.append(
                Violation(
                    i,
                    f"layer {i} has spectral norm {norm:.12g} > 1 (+ {slack:.2g} allowed for "
                    f"{str(w.dtype).removeprefix('torch.')} rounding)",
                )
            )
    return out


class HalfLineLayout:
    """Sizing-independent half of a construction on this layout: widths, sampling, and a
    `prune` that hands each layer's candidate products to `match`."""

    name: str
    search: str  # how `match` chooses, for the report
    # the subset-sum methods `prune` accepts: every one but "fixed", which needs a subset size
    solvers: tuple[str, ...] = tuple(s for s in SOLVERS if s != "fixed")

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
    ) -> Network:
        widths = self.random_widths(target_widths, n)
        return Network.dense(
            sample_weights((d_out, d_in), generator=generator, device=device, dtype=dtype)
            for d_in, d_out in itertools.pairwise(widths)
        )

    def check_structure(self, target: Network) -> list[Violation]:
        return dense_relu_violations(target, self.name)

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

    def match_rows(
        self,
        products: torch.Tensor,
        w: torch.Tensor,
        pos: torch.Tensor,
        neg: torch.Tensor,
        *,
        solver: str,
        tolerance: float | None,
        prefix_tolerance: float | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, RowMethods | None]:
        """`match`, plus how each instance was solved (None where the construction does not
        route instances by size, e.g. an argmin)."""
        chosen, P, N = self.match(products, w, pos, neg, solver=solver, tolerance=tolerance)
        return chosen, P, N, None

    def match_layer(
        self,
        target: Network,
        i: int,
        products: torch.Tensor,
        pos: torch.Tensor,
        neg: torch.Tensor,
        *,
        solver: str,
        tolerance: float | None,
        prefix_tolerance: float | None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, RowMethods | None]:
        """`match_rows` for target layer i (0-based); a construction whose choice depends on
        the layer's place in the target (e.g. a per-layer precision) overrides this instead."""
        return self.match_rows(
            products,
            target.weights[i],
            pos,
            neg,
            solver=solver,
            tolerance=tolerance,
            prefix_tolerance=prefix_tolerance,
        )

    def prune(
        self,
        target: Network,
        random_net: Network,
        *,
        solver: str = "exact",
        tolerance: float | None = None,
        prefix_tolerance: float | None = None,
    ) -> Pruned:
        if random_net.depth != 2 * target.depth:
            raise InvalidArgument(
                f"random_net has depth {random_net.depth}; the {self.name} construction needs "
                f"2 x target depth = {2 * target.depth}"
            )
        masks, layers, rows = [], [], []
        for i in range(target.depth):
            mask1, mask2, layer, how = self.prune_dense_layer(
                target,
                i,
                random_net.weights[2 * i],
                random_net.weights[2 * i + 1],
                solver=solver,
                tolerance=tolerance,
                prefix_tolerance=prefix_tolerance,
            )
            rows.append(how)
            masks += [mask1, mask2]
            layers.append(layer)
        return Pruned(
            masks=Masks(tuple(masks)),
            layers=tuple(layers),
            n_instances=2 * sum(w.numel() for w in target.weights),
            search=self.describe_search(solver, tolerance),
            row_methods=None if None in rows else tuple(rows),
        )

    def prune_dense_layer(
        self,
        target: Network,
        i: int,
        m1: torch.Tensor,
        m2: torch.Tensor,
        *,
        solver: str,
        tolerance: float | None,
        prefix_tolerance: float | None,
    ) -> tuple[torch.Tensor, torch.Tensor, HalfLineLayer, RowMethods | None]:
        """Target layer i (0-based) from its pair of random layers `m1`, `m2`: the two masks,
        the realised half-line layer and how its instances were solved."""
        w = target.weights[i]
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
        chosen, P, N, how = self.match_layer(
            target,
            i,
            products,
            pos,
            neg,
            solver=solver,
            tolerance=tolerance,
            prefix_tolerance=prefix_tolerance,
        )
        # a unit no output keeps loses its incoming edge too
        mask1 = torch.zeros(m1.shape, dtype=torch.bool, device=m1.device)
        unit_input_weights(mask1, d_in, n).copy_(chosen.any(dim=0))  # view into mask1
        return mask1, chosen.reshape(d_out, hidden), HalfLineLayer(P=P, N=N), how

    def describe_search(self, solver: str, tolerance: float | None) -> str:
        return self.search
