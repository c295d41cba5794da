"""Malach, Yehudai, Shalev-Shwartz, Shamir 2020 — "Proving the lottery ticket hypothesis:
pruning is all you need", arXiv 2002.00585 (ICML 2020), the weight-subnetwork theorem.

What we could read of the paper (the `search` tool's stored copies of its abstract and
introduction: arxiv-vanity.com/papers/2002.00585, api-inference.pages.dev/papers/2002.00585.md,
and Pensia et al.'s abstract, arXiv 2006.07990) and therefore state as the paper's:

- a bias-free ReLU target of depth l with bounded weights, inputs from a bounded set, is
  ε-approximated w.p. ≥ 1 − δ by a *weight*-subnetwork (pruning individual weights, nothing
  trained) of a random network of depth 2l and width polynomial in (d, l, 1/ε, log 1/δ);
- that random network is a factor O(d^4 l^2) wider than the target (Pensia et al.'s summary).

Not confirmed in the paper's text (the theorem statement and the appendix were not in any
stored copy we could reach; docs/references.md, Malach et al. 2020, says which are):
- the class: `||W_i||_2 ≤ 1` and every entry `|w| ≤ 1/sqrt(fan-in)` — we check exactly these
  two assumptions (`check_target`);
- Uniform[-1, 1] weights — used here, as in every other construction of this package;
- the width `O(d^5 l^2 ε^-2 log(dl/δ))`, whose constants we do not know.

Ours (derived here, constants explicit, see `malach_samples_per_weight`):

- Layout. Pensia et al.'s: for target layer i, `M_{2i-1}` is `(2 d_{i-1} n_i) × d_{i-1}` and
  `M_{2i}` is `d_i × (2 d_{i-1} n_i)`; units `j·2n … (j+1)·2n − 1` serve input j, so every
  target weight `W_kj` has 2n candidate units (≈ n per sign). Both constructions therefore
  prune the very same random network, and comparisons are at equal width. (Malach et al. may
  give each target neuron its own block; sharing the incoming units across outputs changes
  no single weight's odds, and the union bound below does not need independence across
  weights.)
- Matching (the construction proper). A unit that keeps only its edge from `h_j` (weight `a`)
  and its edge to output k (weight `b`) computes `b σ(a h_j)`, i.e. `ab·h_j` on `h_j ≥ 0` if
  `a > 0` and on `h_j < 0` if `a < 0`. For each target weight and sign we keep the ONE unit
  of that sign whose product `ab` is closest to `W_kj` — or none when 0 is closer (only
  possible for `|W_kj|` below every candidate's error; it can only lower the error). That is
  a subset-sum problem restricted to subsets of size ≤ 1, solved exactly by an argmin, so the
  `solver` argument of `prune` is not used.
- Width (`malach_samples_per_weight`). The product `AB` of `A ~ U[0,1]`, `B ~ U[-1,1]` has
  density `g(z) = ln(1/|z|)/2` on [-1, 1]; a candidate unit is of the right sign w.p. ½, so it
  lands within η of `w` w.p. `p(w, η) = ½ ∫_{w-η}^{w+η} g`, smallest at `|w| = w_max`. With
  `η_i = ε / (2 l sqrt(2 d_{i-1} d_i))` every layer error is `e_i ≤ ||[P−W, N−W]||_F ≤ ε/(2l)`
  and, with `||W_i||_2 ≤ 1`, the network error is `≤ Π(1 + e_i) − 1 ≤ e^{ε/2} − 1 ≤ ε`
  (the composition `approx.error.certified_error` certifies). A union bound over the
  `2 Σ d_{i-1} d_i` (weight, sign) pairs with `(1 − p)^{2n} ≤ e^{−2np}` gives
  `n_i = ⌈C · ln(2 Σ d_{i-1} d_i / δ) / (2 p(w_max,i, η_i))⌉`, C = 1 proven, `w_max,i =
  1/sqrt(d_{i-1})` (the entry bound).
- Rate. For `w_max < 1`, `p ≈ η ln(1/w_max)`, so n ∝ ε^-1 (times `l sqrt(d_{i-1} d_i)
  log(d/δ) / log d_{i-1}`): the single best product needs Θ(1/ε) candidates, not Θ(1/ε²).
  Only a weight at `|w| = 1` (allowed when `d_{i-1} = 1`) sees `p ≈ η²/8` and needs Θ(ε^-2)
  — the density of a product of two uniforms vanishes at ±1. A bound that asks both factors
  to land near fixed values separately (probability ~ε each) gets ε^-2 everywhere; that may
  be where the recalled ε^-2 comes from.
"""

from __future__ import annotations

import itertools
import math

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_open_unit, check_positive_number
from ..basics.network import Network
from ..basics.safe_math import ceil_count, log_ratio
from ..basics.tensor_checks import rounding_slack
from .base import Theorem, Violation
from .layout import HalfLineLayout, norm_bound_violations

# Relative slack of `rescale_factors`, for targets scaled exactly onto the bounds.
_TOL = 1e-9


def _product_cdf(z: float) -> float:
    """`∫_0^z ln(1/|t|)/2 dt` for `z ∈ [-1, 1]` (odd in z): the law of `AB`, `A ~ U[0,1]`,
    `B ~ U[-1,1]`, is `½ + _product_cdf(z)`."""
    if z == 0:
        return 0.0
    a = abs(z)
    return math.copysign(a * (1 - math.log(a)) / 2, z)


def hit_probability(w: float, eta: float) -> float:
    """P(one candidate unit has the right sign and `|ab − w| ≤ η`), `a, b ~ U[-1, 1]`
    i.i.d.: `½ ∫_{w−η}^{w+η} ln(1/|z|)/2 dz` (the window clipped to [-1, 1])."""
    lo, hi = max(w - eta, -1.0), min(w + eta, 1.0)
    p = (_product_cdf(hi) - _product_cdf(lo)) / 2
    if p <= 0 and 0 < abs(w) < 1:
        # a window far narrower than float64 resolves at w: the midpoint rule, density times
        # width, is exact to O(eta^2) there
        p = (hi - lo) * math.log(1 / abs(w)) / 4
    return p


def malach_samples_per_weight(
    target_widths: tuple[int, ...], eps: float, delta: float, C: float = defaults.C["malach"]
) -> tuple[int, ...]:
    """Candidate units per target weight (≈ per sign: 2n units serve each input) that make
    the single-best-product construction ε-accurate w.p. ≥ 1 − δ for every target with
    `||W_i||_2 ≤ 1` and entries `≤ 1/sqrt(d_{i-1})`. Our derivation (module docstring):

        η_i = ε / (2 l sqrt(2 d_{i-1} d_i)),   w_max,i = 1/sqrt(d_{i-1}),
        n_i = ⌈C · ln(2 Σ_j d_{j-1} d_j / δ) / (2 · hit_probability(w_max,i, η_i))⌉.

    C = 1 is what the union bound proves; C is a multiplier for calibration."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_number("C", C)
    depth = len(target_widths) - 1
    pairs = 2 * sum(a * b for a, b in itertools.pairwise(target_widths))
    log_term = log_ratio(pairs, delta)
    out = []
    for d_in, d_out in itertools.pairwise(target_widths):
        eta = eps / (2 * depth * math.sqrt(2 * d_in * d_out))
        p = hit_probability(1 / math.sqrt(d_in), eta)
        if not p > 0:
            raise InvalidArgument(
                f"eps={eps!r} is too small for Malach's width: one candidate's probability of "
                f"landing within eta={eta:.3g} of a weight underflows to {p}"
            )
        out.append(ceil_count(C * log_term / (2 * p), eps=eps, delta=delta, C=C))
    return tuple(out)


def best_single_match(
    products: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row, the valid candidate whose value is closest to the target, or none if 0
    is at least as close. `products`, `valid` `(..., k)`, `targets` `(...)`; returns
    `chosen` `(..., k)` bool (at most one True per row) and `value` `(...)` (the kept product,
    or 0)."""
    gap = (products - targets[..., None]).abs().masked_fill(~valid, torch.inf)  # (..., k)
    best, idx = gap.min(-1)  # (...)
    take = best < targets.abs()
    chosen = torch.zeros_like(valid)
    chosen.scatter_(-1, idx[..., None], take[..., None])
    value = torch.where(take, products.gather(-1, idx[..., None]).squeeze(-1), 0.0)
    return chosen, value


class Malach(HalfLineLayout):
    name = "malach"
    default_C = defaults.C["malach"]  # proven for our derivation of the width (docstring)
    theorem = Theorem(
        citation="Malach et al. 2020, arXiv 2002.00585, weight-subnetwork theorem",
        statement=(
            "w.p. >= 1-delta over a depth-2l Uniform[-1,1] network of polynomial width, every "
            "target with ||W_i||_2 <= 1 and entries <= 1/sqrt(fan-in) has a weight-subnetwork "
            "g with sup_{||x||<=1} ||f(x)-g(x)|| <= eps (one hidden unit per weight and sign)"
        ),
        width=(
            "paper: poly(d, l, 1/eps, log 1/delta), recalled O(d^5 l^2 eps^-2 log(dl/delta)); "
            "here: hidden width 2*d_{i-1}*n_i with n_i = C*ln(2*sum d_{j-1}d_j/delta)/(2p_i), "
            "p_i = P(|ab - w_max| <= eps/(2l*sqrt(2 d_{i-1} d_i))), ~1/eps"
        ),
    )

    def check_target(self, target: Network) -> list[Violation]:
        out = norm_bound_violations(target)
        for i, w in enumerate(target.weights, start=1):
            bound = 1 / math.sqrt(w.shape[1])
            big = float(w.abs().max())
            if big > bound * (1 + rounding_slack(w.dtype, 1)):
                k, j = divmod(int(w.abs().argmax()), w.shape[1])
                out.append(
                    Violation(
                        i,
                        f"layer {i} has entry |W[{k},{j}]| = {big:.12g} > 1/sqrt({w.shape[1]}) "
                        f"= {bound:.12g}",
                    )
                )
        return sorted(out, key=lambda v: v.layer)

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        factors = []
        for w, norm in zip(target.weights, target.spectral_norms(), strict=True):
            excess = max(norm, float(w.abs().max()) * math.sqrt(w.shape[1]))
            factors.append(1 / excess if excess > 1 + _TOL else 1.0)
        return tuple(factors)

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        return malach_samples_per_weight(target_widths, eps, delta, C)

    def instance_size(self, n_i: int) -> int:
        # the best single product is an argmin: no subset-sum solver is called, at any n
        return 0

    search = "single best product (argmin; the solver is not used)"

    def match(self, products, w, pos, neg, *, solver, tolerance):
        """One unit per target weight and sign, the best single product; `solver` and
        `tolerance` are unused (an argmin is exact for subsets of size ≤ 1)."""
        chosen_p, P = best_single_match(products, w, pos)
        chosen_n, N = best_single_match(products, w, neg)
        return chosen_p | chosen_n, P, N


MALACH = Malach()
