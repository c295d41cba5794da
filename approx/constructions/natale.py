"""Natale, Ferré, Giambartolomei, Giroire, Mallmann-Trenn 2024 — "On the sparsity of the strong
lottery ticket hypothesis", arXiv 2410.14754, Theorems 2, 3 and 5.

The paper's (docs/references.md, Natale et al. 2024: read in a stored copy of the text whose
passages around Theorems 3–4 are partly garbled, so the constants are to be re-read in the
published version):

- Theorem 2 (random fixed-size subset sum): for 1 ≤ k ≤ n/2 and i.i.d. samples with a
  sum-bounded density (Uniform[−1, 1] is one), `n ≥ c_hyp · log2(k/ε) / H2(k/n)` gives, for a
  fixed z ∈ [−√k, √k], a subset of exactly k samples within ε of z with probability ≥ c_thm;
  H2 is the binary entropy. An extra log factor (Corollary 1, constant c_amp) makes it hold for
  every z at once.
- Theorem 3 (sparse tickets): Pensia et al.'s depth-2l layout, `M_{2i-1}` of shape
  `(2 d_{i-1} n_i*) × d_{i-1}`, `M_{2i}` of shape `d_i × (2 d_{i-1} n_i*)`, with
  `n_i* = c_amp · log2²(2 l d_{i-1} d_i γ' n_i* / ε) / H2(γ')`, contains w.p. ≥ 1 − ε a
  subnetwork of sparsity ≥ 1 − γ that ε-approximates every target.
- Theorem 5 (lower bound): `n ≥ (d²/2) · log2(k/ε) / H2(k/n)` for k ≤ 0.84 n, ε < 1/16
  (`approx.measurement.bounds.natale_lower_bound_n`).

Not confirmed: the values of c_hyp, c_thm, c_amp (none is given numerically), and how γ' is
derived from γ. Ours, constants explicit:

- Layout and sampling: Pensia's (`HalfLineLayout`, Uniform[−1, 1]); the target class
  `||W_i||_2 ≤ 1`, the certified error of `approx.measurement.certified` applies unchanged.
- Matching: every (output, input, half-line) keeps EXACTLY `s_i` of its candidate units, the
  s_i whose products `a·b` sum closest to the weight (subset-sum method ``fixed``: exact, meet
  in the middle over sizes); a row with fewer right-signed units keeps them all.
- Density (`subset_size`): the kept weights of layer pair i are at most
  `2 d_{i-1} d_i s_i` in `M_{2i}` plus `d_{i-1} · min(2 n_i, 2 d_i s_i)` incoming edges in
  `M_{2i-1}` (a unit is kept iff some output keeps it), of `2 d_{i-1} n_i (d_{i-1} + d_i)`. The
  largest s_i ≤ n_i/2 (Theorem 2's range k ≤ n/2, with ≈ n_i right-signed units) that keeps
  that bound ≤ γ of the total guarantees a ticket density ≤ γ, layer by layer and overall. Where
  that s_i is 0 (n too small for γ), s_i = 1 and the measured density may exceed γ.
- γ' (`instance_fraction`) = s_i / n_i in the continuum: `γ (d_{i-1} + d_i) / (2 d_i)` where
  that is ≤ 1/d_i, else `(γ (d_{i-1} + d_i) − 1) / d_i`, at most ½; it enters Theorem 3's
  formula. `C` plays c_amp (default: our calibration, `approx.basics.defaults.C`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, check_open_unit, check_positive_number
from ..basics.network import Network
from ..basics.safe_math import ceil_count, half_binomial_pmf
from ..engine.subset_sum import solve
from .base import Pruned, Theorem, Violation
from .layout import HalfLineLayout, norm_bound_violations


def binary_entropy(p: float) -> float:
    """`H2(p) = −p log2 p − (1 − p) log2(1 − p)`, 0 at p ∈ {0, 1}."""
    if not 0 <= p <= 1:
        raise InvalidArgument(f"p={p!r} must be in [0, 1]")
    return sum(-x * math.log2(x) for x in (p, 1 - p) if x > 0)


def instance_fraction(density: float, d_in: int, d_out: int) -> float:
    """γ' = s/n, the fraction of its ≈ n candidates each (weight, half-line) keeps, that holds
    the ticket density of layer pair i at γ (module docstring), at most ½."""
    spread = density * (d_in + d_out)
    frac = spread / (2 * d_out) if spread <= 2 else (spread - 1) / d_out
    return min(frac, 0.5)


def kept_bound(d_in: int, d_out: int, n: int, s: int) -> int:
    """Most weights a ticket keeps in layer pair i when every instance keeps s units:
    `2 d_{i-1} d_i s` in `M_{2i}` plus `d_{i-1} min(2n, 2 d_i s)` edges in `M_{2i-1}`."""
    return 2 * d_in * d_out * s + d_in * min(2 * n, 2 * d_out * s)


def subset_size(density: float, d_in: int, d_out: int, n: int) -> int:
    """Units each (weight, half-line) keeps: the largest s ≤ n/2 with `kept_bound ≤ γ ·
    2 d_{i-1} n (d_{i-1} + d_i)`, or 1 where that is 0."""
    total = 2 * d_in * n * (d_in + d_out)
    s = max(1, n // 2)
    while s > 1 and kept_bound(d_in, d_out, n, s) > density * total:
        s -= 1
    return s


def natale_samples_per_weight(
    target_widths: tuple[int, ...],
    eps: float,
    density: float,
    C: float = defaults.C["natale"],
) -> tuple[int, ...]:
    """Theorem 3: the least fixed point of `n = C log2²(2 l d_{i-1} d_i γ' n / ε) / H2(γ')`,
    γ' = `instance_fraction(γ, d_{i-1}, d_i)`, rounded up (C plays the paper's c_amp)."""
    check_open_unit("eps", eps)
    check_open_unit("density", density)
    check_positive_number("C", C)
    depth = len(target_widths) - 1
    out = []
    for d_in, d_out in itertools.pairwise(target_widths):
        frac = instance_fraction(density, d_in, d_out)
        scale = 2 * depth * d_in * d_out * frac / eps

        def rhs(n: float, frac=frac, scale=scale) -> float:
            return C * max(0.0, math.log2(scale * n)) ** 2 / binary_entropy(frac)

        n = 1.0
        for _ in range(200):  # increasing, concave in log n: converges from below
            nxt = max(1.0, rhs(n))
            if abs(nxt - n) < 1e-9:
                break
            n = nxt
        out.append(ceil_count(n - 1e-9, eps=eps, density=density, C=C))
    return tuple(out)


class Natale(HalfLineLayout):
    name = "natale"
    default_C = defaults.C["natale"]  # our calibration of c_amp; the paper gives no value
    solvers = ("exact", "fixed")  # both: the exact fixed-size search
    subset_sum_method = "fixed"  # what the engine runs, whichever of them was asked for
    run_options = ("density",)
    search = "exact fixed-size subset sum"  # `prune` adds the sizes
    theorem = Theorem(
        citation="Natale et al. 2024, arXiv 2410.14754, Theorem 3 (fixed-size subset sums)",
        statement=(
            "w.p. >= 1-eps over a depth-2l Uniform[-1,1] network, every target with "
            "||W_i||_2 <= 1 has a subnetwork of density <= gamma within eps"
        ),
        width=(
            "hidden width 2*d_{i-1}*n_i*, n_i* = C*log2^2(2l*d_{i-1}*d_i*g'*n_i*/eps)/H2(g'), "
            "g' = per-instance fraction for density gamma (ours)"
        ),
    )

    def __init__(self, density: float = defaults.NATALE_DENSITY):
        self.density = check_open_unit("density", density)

    def for_run(self, widths: tuple[int, ...], eps: float, density: float | None) -> Natale:
        return self if density is None else Natale(density)

    def check_target(self, target: Network) -> list[Violation]:
        return norm_bound_violations(target)

    def rescale_factors(self, target: Network) -> tuple[float, ...]:
        return tuple(1 / s if s > 1 + 1e-9 else 1.0 for s in target.spectral_norms())

    def size(
        self, target_widths: tuple[int, ...], eps: float, delta: float, C: float
    ) -> tuple[int, ...]:
        """Theorem 3's n_i* (δ does not enter: the theorem's probability is 1 − ε)."""
        return natale_samples_per_weight(target_widths, eps, self.density, C)

    def solver_instances(
        self, target_widths: tuple[int, ...], n: tuple[int, ...], *, homogeneous: bool = True
    ):
        """Per target layer, the instances `prune` solves, as groups `(count, columns,
        ((valid coefficients, probability), ...))` (the run's time estimate): two per weight,
        one per half-line, over 2 n_i units of which Binomial(2 n_i, 1/2) have its sign
        (counts of probability under 1e-6 left out), whatever the target's activation
        (`homogeneous`: Burkholz's layout depends on it, Natale's does not)."""
        out = []
        for (d_in, d_out), n_i in zip(itertools.pairwise(target_widths), n, strict=True):
            pmf = half_binomial_pmf(2 * n_i, floor=1e-6)
            out.append(((2 * d_out * d_in, 2 * n_i, pmf),))
        return tuple(out)

    def subset_sizes(self, target_widths: tuple[int, ...], n: tuple[int, ...]) -> tuple[int, ...]:
        """Per target layer, the units each instance keeps (`subset_size`, as `match_layer`)."""
        return tuple(
            subset_size(self.density, d_in, d_out, n_i)
            for (d_in, d_out), n_i in zip(itertools.pairwise(target_widths), n, strict=True)
        )

    def instance_size(self, n_i: int) -> int:
        # 2n candidates, about n of the right sign; method "fixed" takes rows of up to 124
        # valid ones, fewer within the memory budget (the plan refuses an n beyond it)
        return n_i

    def match_layer(
        self, target, i, products, pos, neg, *, solver, tolerance, prefix_tolerance=None
    ):
        """Two fixed-size instances per weight (one per half-line), `subset_size` units each;
        `solver` 'exact' and 'fixed' both mean the exact fixed-size search."""
        w = target.weights[i]
        d_out, d_in, c = products.shape
        s = subset_size(self.density, d_in, d_out, c // 2)
        m = d_out * d_in
        flat = products.reshape(m, c)
        result = solve(
            torch.cat([flat, flat]),  # (2m, 2n)
            torch.cat([w.reshape(m), w.reshape(m)]),  # (2m,)
            torch.cat([pos.reshape(m, c), neg.reshape(m, c)]),
            method="fixed",
            size=s,
        )
        chosen = (result.chosen[:m] | result.chosen[m:]).view(d_out, d_in, c)
        P, N = result.value[:m].view(d_out, d_in), result.value[m:].view(d_out, d_in)
        return chosen, P, N, None

    def prune(
        self, target, random_net, *, solver="exact", tolerance=None, prefix_tolerance=None
    ) -> Pruned:
        pruned = super().prune(
            target,
            random_net,
            solver=solver,
            tolerance=tolerance,
            prefix_tolerance=prefix_tolerance,
        )
        sizes = [
            subset_size(self.density, w.shape[1], w.shape[0], h.shape[0] // (2 * w.shape[1]))
            for w, h in zip(target.weights, random_net.weights[::2], strict=True)
        ]
        search = (
            f"exact fixed-size subset sum, {','.join(map(str, sizes))} units per weight and "
            f"half-line (density <= {self.density:g})"
        )
        return replace(pruned, search=search)


NATALE = Natale()
