"""Orseau et al. 2020 (arXiv 2006.12156): the base-3/2 decomposition with hyperbolic weights,
as this repository constructs it (approx.constructions.orseau; the paper's own lemma statements
were not available, docs/references.md, Orseau et al. 2020).

1. digit step (symbolic): with digit t's window [low·q^t, q^t], a residual r ≤ q^{t−1} becomes
   ≤ q^t whether the candidate v in the window is kept (v ≤ r: r − v ≤ q^{t−1} − low·q^t) or
   skipped (v > r: r < q^t), for all t, iff 1/q − low ≤ 1. Base 3/2 with low = ½ holds with
   equality; base 2 (q = ½) with a factor-2 window does not (r − v can be 1.5 q^t).
2. neighbours (symbolic): windows two digits apart are disjoint iff q² < low, so only digit
   t − 1 can take a unit of window t and two candidates per window suffice.
3. hyperbolic bands (symbolic): under density 1/(x ln(1/α)) on [α, 1] a band [c, r c] inside
   has mass ln r / ln(1/α), whatever c; under Uniform[0, 1] it depends on c.
4. digit probability (Monte Carlo): p_t = P(|ab| ∈ window t) for a, b i.i.d. hyperbolic equals
   the triangular-law formula of `digit_probability`, against sampled products.
5. union bound (Monte Carlo): at the width `orseau_samples_per_weight` gives, the fraction of
   random layers in which some (weight, half-line, sign, digit) lacks its candidates is ≤ δ.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
import torch

from approx.basics.errors import check_positive_int
from approx.basics.sampling import hyperbolic_magnitudes
from approx.basics.statistics import clopper_pearson
from approx.constructions.orseau import (
    Q,
    digit_count,
    digit_probability,
    hyperbolic_low,
    layer_precision,
    orseau_samples_per_weight,
)

from ._stats import fmt_interval
from .result import CheckResult, status_of

PAPER = "Orseau et al. 2020 (arXiv 2006.12156), base-3/2 digits (our construction)"


BASE_Q = sp.Rational(2, 3)  # digit ratio: base 3/2
WINDOW = sp.Rational(1, 2)  # a digit's window is [WINDOW q^t, q^t]


def check_digit_step(q: sp.Expr = BASE_Q, low: sp.Expr = WINDOW):
    """r ≤ q^{t−1} ⇒ residual ≤ q^t after digit t with window [low q^t, q^t], for every t."""
    t = sp.Symbol("t", positive=True, integer=True)
    keep = sp.simplify((q ** (t - 1) - low * q**t - q**t) / q**t)  # worst kept case, / q^t
    ok = bool(keep <= 0)
    detail = f"(q^(t-1) - low q^t - q^t) / q^t = 1/q - low - 1 = {keep}"
    if not ok:
        detail += f"; counterexample t = 1: r = 1, v = {low * q} leaves {1 - low * q} > q = {q}"
    return CheckResult(
        name=f"orseau.digits.step.q{q}",
        paper=PAPER,
        statement=f"window [{low} q^t, q^t], q = {q}: residual <= q^(t-1) -> <= q^t",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"q": str(q), "low": str(low)},
    )


def check_disjoint_neighbours(q: sp.Expr = BASE_Q, low: sp.Expr = WINDOW):
    """Windows t and t + 2 are disjoint (q^{t+2} < low q^t) iff q² < low."""
    ok = bool(q**2 < low)
    return CheckResult(
        name=f"orseau.digits.neighbours.low{low}",
        paper=PAPER,
        statement=f"windows [{low} q^t, q^t] two digits apart are disjoint (q = {q})",
        method="symbolic",
        status=status_of(ok),
        detail=f"q^2 = {q**2} {'<' if ok else '>='} low = {low}",
        config={"q": str(q), "low": str(low)},
    )


def check_hyperbolic_band(density: Callable[[sp.Symbol, sp.Symbol], sp.Expr] | None = None):
    """∫_c^{rc} density = ln r / ln(1/α) for every band inside [α, 1] (independent of c)."""
    x, c, r, a = sp.symbols("x c r alpha", positive=True)
    rho = (density or (lambda x, a: 1 / (x * sp.log(1 / a))))(x, a)
    mass = sp.simplify(sp.integrate(rho, (x, c, r * c)))
    want = sp.log(r) / sp.log(1 / a)
    ok = sp.simplify(sp.expand_log(mass - want, force=True)) == 0
    return CheckResult(
        name="orseau.hyperbolic.band_mass",
        paper=PAPER,
        statement="P(|w| in [c, r c]) = ln r / ln(1/alpha) for every band in [alpha, 1]",
        method="symbolic",
        status=status_of(ok),
        detail=f"mass = {mass}" + ("" if ok else f" (depends on c; want {want})"),
        config={"density": str(rho)},
    )


def check_digit_probability_mc(
    claimed: Callable[[int, int], float] | None = None,
    k: int = 12,
    samples: int = 200_000,
    seed: int = 0,
    alpha: float = 1e-3,
) -> CheckResult:
    """claimed(t, k) lies in the Clopper–Pearson interval (1 − α/k) of the fraction of sampled
    products |ab| in window t, for every t ≤ k; a true formula fails w.p. ≤ α."""
    check_positive_int("samples", samples)
    claim = claimed or digit_probability
    gen = torch.Generator().manual_seed(seed)
    low = hyperbolic_low(k)
    prod = hyperbolic_magnitudes((samples,), low, generator=gen) * hyperbolic_magnitudes(
        (samples,), low, generator=gen
    )
    bad, shown = [], []
    for t in range(1, k + 1):
        hits = int(((prod >= Q**t / 2) & (prod <= Q**t)).sum())
        lo, hi = clopper_pearson(hits, samples, 1 - alpha / k)
        p = claim(t, k)
        shown.append(f"t={t}: {p:.4f} in {fmt_interval(lo, hi)}")
        if not lo <= p <= hi:
            bad.append(f"t={t}: claimed {p:.4f} outside {fmt_interval(lo, hi)}")
    return CheckResult(
        name="orseau.digits.probability_mc",
        paper=PAPER,
        statement="p_t = P(|ab| in [q^t/2, q^t]), a, b hyperbolic on [alpha, 1]: triangular law",
        method="monte carlo",
        status=status_of(not bad),
        detail=f"N = {samples} products, K = {k}; "
        + ("; ".join(shown[:2] + shown[-1:]) if not bad else "; ".join(bad[:3])),
        config={"samples": samples, "seed": seed, "alpha": alpha, "k": k},
    )


def _uncovered(n: int, k: int, d_in: int, d_out: int, gen: torch.Generator) -> bool:
    """One random layer pair: does some (output, input, half-line, product sign, digit) have
    fewer candidates than the lemma needs (1 for digit 1, else 2)?"""
    low = hyperbolic_low(k)
    shape = (d_out, d_in, 2 * n)
    a_sign = torch.rand(shape[1:], generator=gen) < 0.5  # (d_in, 2n): a's sign per unit
    b_sign = torch.rand(shape, generator=gen) < 0.5
    mag = hyperbolic_magnitudes(shape[1:], low, generator=gen) * hyperbolic_magnitudes(
        shape, low, generator=gen
    )
    for half in (a_sign, ~a_sign):
        for sign in (b_sign, ~b_sign):
            ok = half & sign  # (d_out, d_in, 2n)
            for t in range(1, k + 1):
                count = (ok & (mag >= Q**t / 2) & (mag <= Q**t)).sum(-1)
                if bool((count < (1 if t == 1 else 2)).any()):
                    return True
    return False


def check_union_bound_mc(
    scale: float = 1.0,
    widths: tuple[int, int] = (2, 2),
    eps: float = 0.3,
    delta: float = 0.2,
    trials: int = 400,
    seed: int = 0,
    alpha: float = 1e-3,
) -> CheckResult:
    """At n = scale · orseau_samples_per_weight(widths, eps, delta), the fraction of random
    layers with an uncovered digit is ≤ δ: fail iff its Clopper–Pearson lower bound (1 − α)
    exceeds δ. `scale` < 1 is a too-narrow network, which must fail."""
    check_positive_int("trials", trials)
    (n,) = orseau_samples_per_weight(widths, eps, delta, 1.0)
    n = max(1, round(scale * n))
    k = digit_count(layer_precision(eps, 1, *widths))
    gen = torch.Generator().manual_seed(seed)
    bad = sum(_uncovered(n, k, widths[0], widths[1], gen) for _ in range(trials))
    lo, hi = clopper_pearson(bad, trials, 1 - alpha)
    ok = lo <= delta
    return CheckResult(
        name=f"orseau.union_bound_mc.x{scale:g}",
        paper=PAPER,
        statement=f"n = {n} (x{scale:g} the union bound's): P(a digit lacks candidates) <= {delta}",
        method="monte carlo",
        status=status_of(ok),
        detail=f"{bad}/{trials} random layers uncovered, CI {fmt_interval(lo, hi)}; K = {k}",
        config={"seed": seed, "trials": trials, "n": n, "k": k, "widths": list(widths)},
    )
