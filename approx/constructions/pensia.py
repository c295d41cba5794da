"""Pensia, Rajput, Nagle, Vishwakarma, Papailiopoulos 2020 — "Optimal lottery tickets via
SubsetSum: logarithmic over-parameterization is sufficient", arXiv 2006.07990, Theorem 1 with
Lemmas 1–3.

Target: `f(x) = W_l σ(… σ(W_1 x))`, `||W_i||_2 ≤ 1`, inputs `||x||_2 ≤ 1`.
Random network: depth 2l, i.i.d. Uniform[-1, 1]; for target layer i (`W_i` is `d_i × d_{i-1}`)

    M_{2i-1}: (2·d_{i-1}·n_i) × d_{i-1},      M_{2i}: d_i × (2·d_{i-1}·n_i),
    n_i = C · log(d_{i-1} · d_i · l / min(ε, δ))                                   (width)

Parameters before pruning: Σ_i 2 d_{i-1}^2 n_i + 2 d_{i-1} d_i n_i.
The paper proves the bound for a universal constant C it does not give numerically; C here is
an explicit argument (our default is a calibration, see `approx.basics.defaults.C`).

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

from ..basics import defaults
from ..basics.errors import check_open_unit, check_positive_number
from ..basics.network import Network
from ..basics.safe_math import ceil_count, log_ratio
from ..engine.subset_sum import solve
from ..engine.subset_sum.any_size import ANY_SIZE_METHODS, ROW_METHODS, solve_any_size
from .base import RowMethods, Theorem, Violation
from .layout import HalfLineLayout, norm_bound_violations

__all__ = ["PENSIA", "Pensia", "pensia_random_params", "pensia_samples_per_weight"]


def pensia_samples_per_weight(
    target_widths: tuple[int, ...], eps: float, delta: float, C: float = defaults.C["pensia"]
) -> tuple[int, ...]:
    """Pensia et al. 2020, Theorem 1: `n_i = ⌈C · ln(d_{i-1} · d_i · l / min(ε, δ))⌉` per
    target layer i (natural log; the paper's O(·) hides the base in C)."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_number("C", C)
    depth = len(target_widths) - 1
    return tuple(
        ceil_count(C * log_ratio(d_in * d_out * depth, min(eps, delta)), eps=eps, delta=delta, C=C)
        for d_in, d_out in itertools.pairwise(target_widths)
    )


def pensia_random_params(target_widths: tuple[int, ...], n: tuple[int, ...]) -> int:
    """Parameters of Pensia's depth-2l random net before pruning (Lemma 3):
    `Σ_i 2 d_{i-1}^2 n_i + 2 d_{i-1} d_i n_i`."""
    return sum(
        2 * d_in * d_in * n_i + 2 * d_in * d_out * n_i
        for d_in, d_out, n_i in zip(target_widths[:-1], target_widths[1:], n, strict=True)
    )


class Pensia(HalfLineLayout):
    name = "pensia"
    default_C = defaults.C["pensia"]  # our calibration; the paper gives no value
    theorem = Theorem(
        citation="Pensia et al. 2020, arXiv 2006.07990, Theorem 1 (Lemmas 1-3)",
        statement=(
            "w.p. >= 1-delta over a depth-2l Uniform[-1,1] network, every target with "
            "||W_i||_2 <= 1 has a subnetwork g with sup_{||x||<=1} ||f(x)-g(x)|| <= eps"
        ),
        width="hidden width 2*d_{i-1}*n_i, n_i = C*log(d_{i-1}*d_i*l/min(eps,delta))",
    )

    def check_target(self, target: Network) -> list[Violation]:
        return norm_bound_violations(target)

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        return tuple(1 / s if s > 1 + 1e-9 else 1.0 for s in target.spectral_norms())

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        return pensia_samples_per_weight(target_widths, eps, delta, C)

    def instance_size(self, n_i: int) -> int:
        # all 2n units of an input are candidates; about n of them have the right sign
        # (``exact`` and ``fewest`` take any size: `match_rows`)
        return 2 * n_i

    def match(self, products, w, pos, neg, *, solver, tolerance):
        """Two subset-sum instances per target weight (one per sign), solved in one batch;
        `tolerance` (solver ``fewest`` only): the per-weight error within which the sparsest
        subset is kept."""
        chosen, P, N, _ = self.match_rows(
            products, w, pos, neg, solver=solver, tolerance=tolerance, prefix_tolerance=None
        )
        return chosen, P, N

    def match_rows(self, products, w, pos, neg, *, solver, tolerance, prefix_tolerance):
        """`match` with each instance's method. ``exact`` and ``fewest`` take instances of any
        size (`solve_any_size`): an instance beyond one meet in the middle is enumerated or,
        past that, solved over a prefix of its units widened until its error is within
        `prefix_tolerance` (``exact``) or `tolerance` (``fewest``)."""
        d_out, d_in, k = products.shape
        m = d_out * d_in
        flat = products.reshape(m, k)
        coeffs = torch.cat([flat, flat])  # (2m, 2n)
        targets = torch.cat([w.reshape(m), w.reshape(m)])  # (2m,)
        valid = torch.cat([pos.reshape(m, k), neg.reshape(m, k)])  # (2m, 2n)
        rows = None
        if solver in ANY_SIZE_METHODS:
            stop = tolerance if solver == "fewest" else prefix_tolerance
            out = solve_any_size(coeffs, targets, valid, method=solver, tolerance=stop)
            result = out.result
            rows = RowMethods(
                how=out.how.view(2, d_out, d_in),
                valid=out.counts.view(2, d_out, d_in),
                searched=out.searched.view(2, d_out, d_in),
                names=ROW_METHODS,
            )
        else:
            result = solve(coeffs, targets, valid, method=solver, tolerance=tolerance)
        chosen = (result.chosen[:m] | result.chosen[m:]).view(d_out, d_in, k)
        P, N = result.value[:m].view(d_out, d_in), result.value[m:].view(d_out, d_in)
        return chosen, P, N, rows

    def describe_search(self, solver: str, tolerance: float | None) -> str:
        if tolerance is None:
            return f"{solver} subset sum"
        return f"{solver} subset sum, per-weight tolerance {tolerance:.3g}"


PENSIA = Pensia()
