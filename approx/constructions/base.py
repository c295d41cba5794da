"""What every construction provides, and the common forms of what pruning produces.

A construction (one module per theorem) sizes, samples and prunes a random network. The
depth-2l constructions realise each target layer `W_i` as a *half-line layer*

    L̂_i(h) = P_i σ(h) − N_i σ(−h)                                                    (*)

i.e. the pruned pair of random layers acts on the positive part of its input with the matrix
`P_i` and on the negative part with `N_i` (both `(d_out, d_in)`). That is exact for the
depth-2l constructions of Malach et al. and Pensia et al.: a hidden unit that keeps only the
edge from input j with weight a, and edge b to output k, computes `b σ(a h_j)`, which is
`ab h_j` on `h_j ≥ 0` when a > 0 and on `h_j < 0` when a < 0 (positive homogeneity). The target
is recovered when `P_i = N_i = W_i`; the error analysis (`approx.measurement.certified`) works
on (*) alone.

The depth-(l+1) construction (Burkholz 2022) realises each target layer several times over:
`rho` *copies* of every target neuron, each with its own realised weights and bias
(`CopyRealisation`); its error analysis is `approx.measurement.certified.certified_error_copies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F

from ..basics.masks import Masks
from ..basics.network import RELU, Activation, Network


@dataclass(frozen=True)
class HalfLineLayer:
    """`h ↦ P σ(h) − N σ(−h)`; `P`, `N` are `(d_out, d_in)`, or convolution kernels
    `(c_out, c_in, k_h, k_w)` applied with stride 1 and zero `padding` (the CNN construction)."""

    P: torch.Tensor
    N: torch.Tensor
    padding: int = 0

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        """`h` `(batch, d_in)` -> `(batch, d_out)`; a convolution's `(batch, c_in, H, W)` ->
        `(batch, c_out, H', W')`; a dense layer reads a 4-d input flattened."""
        if self.P.ndim == 4:
            pos = F.conv2d(torch.relu(h), self.P, padding=self.padding)
            return pos - F.conv2d(torch.relu(-h), self.N, padding=self.padding)
        if h.ndim > 2:
            h = h.flatten(1)  # (batch, c·H·W), as nn.Flatten
        return torch.relu(h) @ self.P.T - torch.relu(-h) @ self.N.T


def realised_forward(layers: tuple[HalfLineLayer, ...], x: torch.Tensor) -> torch.Tensor:
    """The function the pruned random network computes, evaluated through (*): `x`
    `(batch, d_0)` -> `(batch, d_l)`, ReLU between layers as in the target."""
    h = x
    for i, layer in enumerate(layers):
        h = layer(h)
        if i < len(layers) - 1:
            h = torch.relu(h)
    return h


@dataclass(frozen=True)
class FirstCopies:
    """The first target layer of a depth-(l+1) construction as realised by its first two
    random layers: copy r of target neuron k has the pre-activation

        g[r](x) = P[r] σ(x) − N[r] σ(−x) + bias[r] + R[r](x),   |R[r](x)_k| ≤ Σ_j tau[r,k,j] |x_j|³

    (σ = ReLU; `P`, `N`, `tau` `(copies, d_1, d_0)`, `bias` `(copies, d_1)`). `tau` bounds the
    remainder of linearising a smooth activation (all zero where the activation is positively
    homogeneous: the identity is then exact)."""

    P: torch.Tensor
    N: torch.Tensor
    bias: torch.Tensor
    tau: torch.Tensor


@dataclass(frozen=True)
class CopyLayer:
    """A later target layer t ≥ 2 of a depth-(l+1) construction: copy r' of target neuron k'
    has the pre-activation `Σ_k Σ_r C[r', k', k, r] h[r]_k + bias[r', k']`, where `h[r]` is
    copy r of the previous layer's activations. `C` `(copies, d_t, d_{t-1}, copies_in)` holds
    the kept random weights (0 where pruned); `bias` `(copies, d_t)` the realised bias."""

    C: torch.Tensor
    bias: torch.Tensor

    @property
    def A(self) -> torch.Tensor:
        """The realised weight matrix of each copy, `Σ_r C[..., r]`: `(copies, d_t, d_{t-1})`."""
        return self.C.sum(-1)


@dataclass(frozen=True)
class CopyRealisation:
    """What a depth-(l+1) construction realises: the first layer's copies, the later layers'
    copies (the last layer has exactly one), and the activation they run through."""

    first: FirstCopies
    later: tuple[CopyLayer, ...]
    activation: Activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The realised network without the first layer's remainder `R` (exact where `tau`
        is zero): `x` `(batch, d_0)` -> `(batch, d_l)`."""
        f = self.first
        pre = (
            torch.einsum("rkj,bj->brk", f.P, torch.relu(x))
            - torch.einsum("rkj,bj->brk", f.N, torch.relu(-x))
            + f.bias
        )  # (batch, copies, d_1)
        for lay in self.later:
            h = self.activation(pre)  # (batch, copies_in, d_{t-1})
            pre = torch.einsum("skjr,brj->bsk", lay.C, h) + lay.bias  # (batch, copies, d_t)
        return pre[:, 0]  # the last layer has one copy

    def weight_errors(self, target: Network) -> tuple[torch.Tensor, ...]:
        """`|ŵ − w|` per target layer, every copy, weights and biases (flattened)."""
        out = []
        layers = (self.first, *self.later)
        for t, (lay, layer) in enumerate(zip(layers, target.layers, strict=True)):
            w = layer.weight
            b = torch.zeros_like(w[:, 0]) if layer.bias is None else layer.bias
            if t == 0:
                parts = [lay.P - w, lay.N - w]
            else:
                parts = [lay.A - w]
            parts.append(lay.bias - b)
            out.append(torch.cat([p.flatten() for p in parts]).abs())
        return tuple(out)


@dataclass(frozen=True)
class Theorem:
    """Which theorem a construction implements, and its width bound as text."""

    citation: str
    statement: str
    width: str


@dataclass(frozen=True)
class Violation:
    """A way a target breaks a theorem's assumption; `layer` is 1-based."""

    layer: int
    message: str


@dataclass(frozen=True)
class RowMethods:
    """How one target layer's per-weight subset-sum instances were solved. Each tensor is
    `(2, d_out, d_in)`: `[0]` the instances of `P` (units with `a > 0`), `[1]` those of `N`.
    `how` int8, an index into `names` (e.g. "meet in the middle", "enumeration", "prefix");
    `valid` the instance's valid coefficients; `searched` how many of them the solver
    searched (fewer only for "prefix" instances)."""

    how: torch.Tensor
    valid: torch.Tensor
    searched: torch.Tensor
    names: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """Instances per method, every name listed."""
        return {name: int((self.how == i).sum()) for i, name in enumerate(self.names)}


@dataclass(frozen=True)
class Pruned:
    """A construction's search result: the masks over the random network, the realised
    half-line layer of each target layer (depth-2l constructions; empty otherwise), how many
    per-weight instances were solved, how (`search`, e.g. "exact subset sum"), for a
    depth-(l+1) construction the realised copies (`copies`; None for the depth-2l ones), and
    `row_methods`, one per target layer, saying how each instance was solved where the solver
    routes instances by size (None otherwise)."""

    masks: Masks
    layers: tuple[HalfLineLayer, ...]
    n_instances: int
    search: str
    row_methods: tuple[RowMethods, ...] | None = None
    copies: CopyRealisation | None = None

    def weight_errors(self, target: Network) -> tuple[torch.Tensor, ...]:
        """Per target layer, every realised weight's (and bias's) `|ŵ − w|`, flattened."""
        if self.copies is not None:
            return self.copies.weight_errors(target)
        return tuple(
            torch.cat([(lay.P - w).flatten(), (lay.N - w).flatten()]).abs()
            for lay, w in zip(self.layers, target.weights, strict=True)
        )

    def max_weight_error(self, target: Network) -> float:
        """Largest `|P_ij − W_ij|` or `|N_ij − W_ij|` over all layers (per-weight error; with
        copies, over every copy's weights and biases)."""
        return max(float(e.max()) for e in self.weight_errors(target))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The realised network (`realised_forward` of the half-line layers, or the copies'
        `forward`): `x` `(batch, d_0)` -> `(batch, d_l)`."""
        if self.copies is not None:
            return self.copies.forward(x)
        return realised_forward(self.layers, x)


class Construction(Protocol):
    """One theorem's construction; registered by `name` in `approx.constructions.registry`.

    Optional attributes (the pipeline reads them with a default where one is absent):
    `solvers` (the subset-sum methods `prune` accepts; default all), `run_options` (the run
    options beyond the common ones it takes, e.g. ("density",); default none),
    `for_run(widths, eps, density)` (a copy configured for one run, where the random network
    or the search depends on eps or on a requested density; default: the construction
    itself), `density` (the ticket density it was configured for), `realises_copies` (True where
    `prune` returns `Pruned.copies` instead of half-line layers, which the sandwich of
    `approx.measurement.sandwich` does not bound; default False), `for_target(target)` (a copy
    that knows a given target's geometry, e.g. its kernels and input shape; default: itself),
    and `max_norm_error` (True to also report the error in max-norm; default False).
    """

    name: str
    theorem: Theorem
    # the constant C of the width formula used when none is given (say in the module whether
    # it is the paper's, proven, or our calibration)
    default_C: float

    def check_structure(self, target: Network) -> list[Violation]:
        """The layers whose kind, bias or activation the theorem does not cover (empty if it
        covers the network). Nothing can be rescaled away here: such a target is refused."""
        ...

    def check_target(self, target: Network) -> list[Violation]:
        """The theorem's quantitative assumptions the target breaks (norms, entry bounds;
        empty if none), checked in float64 with a slack for the target's own dtype. Only
        called on a target that passes `check_structure`."""
        ...

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        """The theorem's samples-per-weight `n_i` for each target layer."""
        ...

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        """Per-layer factors in (0, 1] that put each layer of `target` inside the theorem's
        class when it is multiplied by them; 1.0 for a layer already inside. (Every assumption
        here bounds weight magnitudes, so scaling a layer down always suffices.)"""
        ...

    def random_widths(self, target_widths: tuple[int, ...], n: tuple[int, ...]) -> tuple[int, ...]:
        """Widths of the random network for `n`: `(d_0, h_1, d_1, h_2, …, d_l)` for a depth-2l
        construction, `(d_0, h_1, …, h_l, d_l)` for a depth-(l+1) one."""
        ...

    def instance_size(self, n_i: int) -> int:
        """Coefficients per subset-sum instance at `n_i` samples per weight (the solver's `k`)."""
        ...

    def sample(
        self,
        target_widths: tuple[int, ...],
        n: tuple[int, ...],
        *,
        generator: torch.Generator,
        device: torch.device | str,
        dtype: torch.dtype,
        activation: Activation = RELU,
    ) -> Network:
        """The whole random network, drawn up front, with `activation` between its layers.
        Only a construction that covers other activations than ReLU needs to accept (and may
        scale its weights by) `activation`: the pipeline passes it only when it is not ReLU."""
        ...

    def prune(
        self,
        target: Network,
        random_net: Network,
        *,
        solver: str,
        tolerance: float | None = None,
        prefix_tolerance: float | None = None,
    ) -> Pruned:
        """Masks over `random_net` realising `target`, found with subset-sum `solver`;
        `tolerance` is the per-weight error solver ``fewest`` needs (None for the others);
        `prefix_tolerance` (solver ``exact``): the error at which an instance too large for
        one meet in the middle stops widening its prefix (`approx.engine.subset_sum.any_size`;
        None: such an instance is solved over the most coefficients one pass holds)."""
        ...
