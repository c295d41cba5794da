"""Pensia, Rajput, Nagle, Vishwakarma, Papailiopoulos 2020 — "Optimal lottery tickets via
SubsetSum: logarithmic over-parameterization is sufficient", arXiv 2006.07990, Theorem 1 with
Lemmas 1–3.

Target: `f(x) = W_l σ(… σ(W_1 x))`, `||W_i||_2 ≤ 1`, inputs `||x||_2 ≤ 1`.
Random network: depth 2l, i.i.d. Uniform[-1, 1]; for target layer i (`W_i` is `d_i × d_{i-1}`)

    M_{2i-1}: (2·d_{i-1}·n_i) × d_{i-1},      M_{2i}: d_i × (2·d_{i-1}·n_i),
    n_i = C · log(d_{i-1} · d_i · l / min(ε, δ))                                   (width)

Parameters before pruning: Σ_i 2 d_{i-1}^2 n_i + 2 d_{i-1} d_i n_i.
The paper proves the bound for a universal constant C it does not give numerically; C here is
an explicit argument (our default is a calibration, see `approx.bounds.DEFAULT_C`).

Construction (Lemmas 1–3): hidden units `j·2n … (j+1)·2n − 1` serve input coordinate j and keep
only their edge from `x_j` (weight `a`). A unit with `a > 0` realises products `a·b` on the half
line `x_j ≥ 0`, one with `a < 0` on `x_j < 0`. For each target weight `W_kj`, output k keeps the
subset of j's positive units whose products `b_{k,u} a_u` sum closest to `W_kj` (one subset-sum
instance), and likewise for the negative units (a second instance): `P_kj ≈ W_kj ≈ N_kj`. The
incoming edges are shared by all outputs; each output picks its own subset. A unit no output
uses loses its incoming edge too.

Sign split: with i.i.d. weights, the number of units of each sign per input is Binomial(2n, ½)
(mean n); the paper prunes the units of the wrong sign, and so do we — nothing is redrawn.
"""

from __future__ import annotations

import itertools

import torch

from ..bounds import DEFAULT_C, pensia_samples_per_weight
from ..errors import InvalidArgument
from ..masks import Masks
from ..nets import ReLUNet
from ..random_nets import sample_weights
from ..subset_sum import solve
from .base import HalfLineLayer, Pruned, Theorem, Violation


def unit_input_weights(m1: torch.Tensor, d_in: int, n: int) -> torch.Tensor:
    """The incoming weight `a` of each hidden unit from the one input it serves: `(d_in, 2n)`,
    `a[j, r] = M1[j·2n + r, j]`."""
    return torch.diagonal(m1.reshape(d_in, 2 * n, d_in), dim1=0, dim2=2).T  # (d_in, 2n)


class Pensia:
    name = "pensia"
    default_C = DEFAULT_C  # our calibration; the paper gives no value
    theorem = Theorem(
        citation="Pensia et al. 2020, arXiv 2006.07990, Theorem 1 (Lemmas 1-3)",
        statement=(
            "w.p. >= 1-delta over a depth-2l Uniform[-1,1] network, every target with "
            "||W_i||_2 <= 1 has a subnetwork g with sup_{||x||<=1} ||f(x)-g(x)|| <= eps"
        ),
        width="hidden width 2*d_{i-1}*n_i, n_i = C*log(d_{i-1}*d_i*l/min(eps,delta))",
    )

    def check_target(self, target: ReLUNet) -> list[Violation]:
        out = []
        for i, norm in enumerate(target.spectral_norms(), start=1):
            if norm > 1 + 1e-9:
                out.append(Violation(i, f"layer {i} has spectral norm {norm:.6g} > 1"))
        return out

    def rescale_factors(self, target: ReLUNet) -> tuple[float, ...]:
        return tuple(1 / s if s > 1 + 1e-9 else 1.0 for s in target.spectral_norms())

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        return pensia_samples_per_weight(target_widths, eps, delta, C)

    def random_widths(self, target_widths: tuple[int, ...], n: tuple[int, ...]) -> tuple[int, ...]:
        widths = [target_widths[0]]
        for d_in, d_out, n_i in zip(target_widths[:-1], target_widths[1:], n, strict=True):
            widths += [2 * d_in * n_i, d_out]
        return tuple(widths)

    def instance_size(self, n_i: int) -> int:
        # all 2n units of an input are candidates; about n of them have the right sign
        return 2 * n_i

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

    def prune(
        self,
        target: ReLUNet,
        random_net: ReLUNet,
        *,
        solver: str = "exact",
        tolerance: float | None = None,
    ) -> Pruned:
        """One subset-sum instance per target weight and sign; `tolerance` (solver ``fewest``
        only): the per-weight error within which the sparsest subset is kept."""
        if random_net.depth != 2 * target.depth:
            raise InvalidArgument(
                f"random_net has depth {random_net.depth}; Pensia's construction needs "
                f"2 x target depth = {2 * target.depth}"
            )
        masks, layers, n_instances = [], [], 0
        for i, w in enumerate(target.weights):
            m1, m2 = random_net.weights[2 * i], random_net.weights[2 * i + 1]
            d_out, d_in = w.shape
            hidden = m1.shape[0]
            if m1.shape[1] != d_in or hidden % (2 * d_in) or m2.shape != (d_out, hidden):
                raise InvalidArgument(
                    f"random_net layers {2 * i + 1},{2 * i + 2} have shapes "
                    f"{tuple(m1.shape)}, {tuple(m2.shape)}; not Pensia's layout for a "
                    f"{d_out}x{d_in} target layer"
                )
            n = hidden // (2 * d_in)
            a = unit_input_weights(m1, d_in, n)  # (d_in, 2n)
            products = m2.reshape(d_out, d_in, 2 * n) * a  # (d_out, d_in, 2n): b_{k,u} a_u
            pos = (a > 0).expand(d_out, d_in, 2 * n)
            neg = (a < 0).expand(d_out, d_in, 2 * n)
            m = d_out * d_in
            flat = products.reshape(m, 2 * n)
            result = solve(
                torch.cat([flat, flat]),  # (2m, 2n)
                torch.cat([w.reshape(m), w.reshape(m)]),  # (2m,)
                torch.cat([pos.reshape(m, 2 * n), neg.reshape(m, 2 * n)]),
                method=solver,
                tolerance=tolerance,
            )
            n_instances += 2 * m
            chosen = (result.chosen[:m] | result.chosen[m:]).view(d_out, d_in, 2 * n)
            used = chosen.any(dim=0)  # (d_in, 2n): units some output keeps
            mask1 = torch.zeros(m1.shape, dtype=torch.bool, device=m1.device)
            unit_input_weights(mask1, d_in, n).copy_(
                used
            )  # mask1 is contiguous: a view, written in place
            masks += [mask1, chosen.reshape(d_out, hidden)]
            layers.append(
                HalfLineLayer(
                    P=result.value[:m].view(d_out, d_in), N=result.value[m:].view(d_out, d_in)
                )
            )
        return Pruned(
            masks=Masks(tuple(masks)),
            layers=tuple(layers),
            n_instances=n_instances,
            search=f"{solver} subset sum"
            + (f", per-weight tolerance {tolerance:.3g}" if tolerance is not None else ""),
        )


PENSIA = Pensia()
