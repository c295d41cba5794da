"""Natale et al. 2024 (arXiv 2410.14754): the steps of the sparse-ticket argument that can be
checked here (docs/references.md, Natale et al. 2024).

1. entropy count (certified grid): log2 C(n, k) ≤ n H2(k/n) for every 1 ≤ k ≤ n ≤ 400, exactly
   (integers compared through `math.comb` and a rigorous margin), the count behind the H2 in
   Theorems 2 and 5: there are at most 2^{n H2(k/n)} size-k subsets to hit 2√k/(2ε) targets.
   The reverse inequality is the wrong variant.
2. density bound (Monte Carlo over random prunes): a ticket in which every (weight, half-line)
   keeps s units keeps at most `kept_bound` weights of a layer pair (the M_{2i-1} edges of kept
   units included); the bound without those edges is the wrong variant.
3. Theorem 2's constant success (Monte Carlo): at `n = rfss_sufficient_n(k, ε, c)` (our c = 1;
   the paper's c_hyp is not given) the best size-k subset of n Uniform[−1, 1] samples is
   within ε of a fixed z ~ Uniform[−1, 1] with probability ≥ 1/4 (our c_thm) for every k and
   ε of a grid. c = ½ is the wrong variant.
"""

from __future__ import annotations

import math

import torch

from approx.basics.errors import check_positive_int
from approx.basics.network import Network
from approx.basics.statistics import clopper_pearson
from approx.constructions.natale import Natale, binary_entropy, kept_bound, subset_size
from approx.engine.subset_sum import solve
from approx.measurement.bounds import rfss_sufficient_n

from ._stats import fmt_interval
from .result import CheckResult, status_of

PAPER = "Natale et al. 2024 (arXiv 2410.14754), Theorems 2, 3, 5"
RFSS_C = 1.0  # our c_hyp for the check (the paper gives none)
RFSS_SUCCESS = 0.25  # our c_thm: the success probability Theorem 2 promises is a constant


def check_entropy_count(reverse: bool = False, n_max: int = 400) -> CheckResult:
    """log2 C(n, k) ≤ n H2(k/n) on the whole grid (≥ with `reverse`, the wrong variant)."""
    worst = None
    for n in range(1, n_max + 1):
        for k in range(1, n + 1):
            lhs = math.log2(math.comb(n, k))
            rhs = n * binary_entropy(k / n)
            gap = (lhs - rhs) if not reverse else (rhs - lhs)
            if gap > 1e-9 * max(1.0, rhs) and (worst is None or gap > worst[0]):
                worst = (gap, n, k, lhs, rhs)
    ok = worst is None
    rel = ">=" if reverse else "<="
    detail = f"all 1 <= k <= n <= {n_max}"
    if not ok:
        _, n, k, lhs, rhs = worst
        detail = f"counterexample n = {n}, k = {k}: log2 C(n,k) = {lhs:.4f}, n H2 = {rhs:.4f}"
    return CheckResult(
        name="natale.entropy_count" + (".reversed" if reverse else ""),
        paper=PAPER,
        statement=f"log2 C(n, k) {rel} n H2(k/n)",
        method="certified grid",
        status=status_of(ok),
        detail=detail,
        config={"n_max": n_max, "reverse": reverse},
    )


def check_density_bound(with_edges: bool = True, trials: int = 60, seed: int = 0) -> CheckResult:
    """Random targets and random networks (widths 1–6, n 4–12, density 0.1–0.6): the kept
    weights of every layer pair of a real prune are ≤ `kept_bound` (or, `with_edges=False`,
    ≤ its M_{2i} part 2 d_{i-1} d_i s alone)."""
    check_positive_int("trials", trials)
    gen = torch.Generator().manual_seed(seed)
    worst = None
    for _ in range(trials):
        d_in, d_out, n = (
            int(torch.randint(lo, hi, (1,), generator=gen)) for lo, hi in ((1, 7), (1, 7), (4, 13))
        )
        g = 0.1 + 0.5 * float(torch.rand(1, generator=gen))
        w = torch.rand(d_out, d_in, generator=gen, dtype=torch.float64) * 2 - 1
        w = w / torch.linalg.matrix_norm(w, ord=2)
        cons = Natale(g)
        net = cons.sample((d_in, d_out), (n,), generator=gen)
        pruned = cons.prune(Network.dense([w]), net)
        s = subset_size(g, d_in, d_out, n)
        kept = pruned.masks.n_kept
        bound = kept_bound(d_in, d_out, n, s) if with_edges else 2 * d_in * d_out * s
        if kept > bound and (worst is None or kept - bound > worst[0]):
            worst = (kept - bound, d_in, d_out, n, s, kept, bound)
    ok = worst is None
    detail = f"{trials} random prunes, kept <= bound in each"
    if not ok:
        _, d_in, d_out, n, s, kept, bound = worst
        detail = f"d_in = {d_in}, d_out = {d_out}, n = {n}, s = {s}: kept {kept} > bound {bound}"
    return CheckResult(
        name="natale.density_bound" + ("" if with_edges else ".without_edges"),
        paper=PAPER,
        statement="kept <= 2 d_in d_out s"
        + (" + d_in min(2n, 2 d_out s)" if with_edges else " (M_{2i} only)"),
        method="monte carlo",
        status=status_of(ok),
        detail=detail,
        config={"seed": seed, "trials": trials, "with_edges": with_edges},
    )


def check_rfss_success(
    c: float = RFSS_C,
    grid: tuple[tuple[int, float], ...] = ((1, 1e-2), (2, 1e-2), (4, 1e-2), (2, 1e-3), (4, 1e-3)),
    samples: int = 1000,
    seed: int = 0,
    alpha: float = 1e-3,
) -> CheckResult:
    """At n = rfss_sufficient_n(k, ε, c), P(best size-k subset within ε of z) ≥ RFSS_SUCCESS
    for every (k, ε) of `grid`: fail iff some Clopper–Pearson upper bound (1 − α/|grid|) is
    below it; a claim that holds fails w.p. ≤ α."""
    check_positive_int("samples", samples)
    gen = torch.Generator().manual_seed(seed)
    shown, bad = [], []
    for k, eps in grid:
        n = rfss_sufficient_n(k, eps, c)
        x = torch.rand(samples, n, generator=gen, dtype=torch.float64) * 2 - 1  # (T, n)
        z = torch.rand(samples, generator=gen, dtype=torch.float64) * 2 - 1  # (T,)
        hits = int((solve(x, z, method="fixed", size=k).error <= eps).sum())
        lo, hi = clopper_pearson(hits, samples, 1 - alpha / len(grid))
        shown.append(f"k={k}, eps={eps:g}: n={n}, {hits / samples:.3f} {fmt_interval(lo, hi)}")
        if hi < RFSS_SUCCESS:
            bad.append(shown[-1])
    return CheckResult(
        name=f"natale.theorem2.success.c{c:g}",
        paper=PAPER,
        statement=f"n = {c:g} log2(k/eps)/H2(k/n): P(size-k subset within eps) >= {RFSS_SUCCESS}",
        method="monte carlo",
        status=status_of(not bad),
        detail=f"N = {samples} per point; " + "; ".join(bad or shown),
        config={"seed": seed, "samples": samples, "alpha": alpha, "c": c},
    )
