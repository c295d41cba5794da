"""Malach, Yehudai, Shalev-Shwartz, Shamir 2020 (arXiv 2002.00585): one random pair per weight.

As commonly quoted (docs/references.md, Findings 2): "each target weight is realised by ONE
hidden unit per sign (one random pair (u, v) with u·v ≈ w), found among Θ(ε^-2 log 1/δ)
candidates per weight, because a single random pair lands within ε of the needed values with
probability Θ(ε^2)". Two readings, both derived here (the paper's text was not available to this
check; which one Malach's proof uses is not settled here):

- product: the pair is good when |u·v − w| ≤ ε. With u, v ~ U[−1, 1], u·v has density
  ½ ln(1/|z|) (derived below), so for 0 < ε < |w| and |w| + ε ≤ 1

      p(w, ε) = G(|w| + ε) − G(|w| − ε),   G(z) = ∫_0^z ½ ln(1/t) dt = ½ (z − z ln z),

  and p/ε → ln(1/|w|): p = Θ(ε) for fixed w ≠ 0 (and ε(1 + ln(1/ε)) at w = 0), NOT Θ(ε²).
- both coordinates: the pair is good when |u − u*| ≤ ε and |v − v*| ≤ ε for prescribed u*, v*
  (|u*|, |v*| ≤ 1 − ε); then p = ε·ε = Θ(ε²), and |uv − u*v*| ≤ 2ε + ε².

The union bound then asks for K candidates per weight with #weights·(1 − p)^K ≤ δ, guaranteed by
K ≥ ln(#weights/δ)/p since (1 − p)^K ≤ e^{−pK}. Under the product reading that is
Θ(ε^-1 log(#weights/δ)) candidates, not Θ(ε^-2 …).

Symbolic: the density, p(w, ε), the order in ε for a claimed exponent, (1 − p)^K ≤ e^{−pK} and the
K formula. Monte Carlo: p(w, ε) against sampled pairs, and the failure rate of the K rule.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Literal

import sympy as sp
import torch

from approx.basics.errors import InvalidArgument, check_positive_int
from approx.basics.statistics import clopper_pearson

from ._cases import POS, cells, is_nonnegative_in_positives, prove_nonnegative, show
from ._stats import fmt_interval
from .result import CheckResult, status_of

PAPER = "Malach et al. 2020 (arXiv 2002.00585), single-pair construction"
Reading = Literal["product", "both coordinates"]
READINGS: tuple[str, ...] = ("product", "both coordinates")
QUOTED_EXPONENT = 2  # as commonly quoted: "probability Θ(ε^2)"


@functools.cache
def product_density() -> tuple[sp.Symbol, sp.Expr]:
    """Density of u·v, u, v ~ U[−1, 1], at z with |z| = t ∈ (0, 1]: ∫ over |x| ≥ t of ¼/|x|."""
    t = sp.Symbol("t", positive=True)
    x = sp.Symbol("x", positive=True)
    return t, 2 * sp.integrate(sp.Rational(1, 4) / x, (x, t, 1))  # x > 0 and x < 0 halves


@functools.cache
def _antiderivative() -> tuple[sp.Symbol, sp.Expr]:
    """G(t) = ∫_0^t ρ for t ∈ [0, 1]; G is odd, so P(a ≤ uv ≤ b) = G(b) − G(a) on [−1, 1]."""
    t, rho = product_density()
    s = sp.Symbol("s", positive=True)
    return t, sp.simplify(sp.integrate(rho.subs(t, s), (s, 0, t)))


def hit_probability(w: float, eps: float) -> float:
    """P(|u·v − w| ≤ ε) for u, v ~ U[−1, 1], any w, ε > 0 (the interval clipped to [−1, 1])."""
    t, big_g = _antiderivative()

    def g(z: float) -> float:
        z = max(-1.0, min(1.0, z))
        return math.copysign(float(big_g.subs(t, abs(z))), z) if z else 0.0

    return g(w + eps) - g(w - eps)


def _order(reading: Reading, w: sp.Expr, exponent: int) -> tuple[sp.Expr, sp.Expr]:
    """(p(w, ε), lim_{ε→0+} p/ε^exponent) in the given reading (interior w)."""
    eps = sp.Symbol("epsilon", positive=True)
    if reading == "product":
        t, big_g = _antiderivative()
        p = big_g.subs(t, w + eps) - big_g.subs(t, w - eps)  # 0 < eps < w
    else:
        u, c = sp.Symbol("u", real=True), sp.Symbol("c", real=True)
        one = sp.integrate(sp.Rational(1, 2), (u, c - eps, c + eps))  # |c| <= 1 - eps
        p = one * one
    return p, sp.limit(p / eps**exponent, eps, 0, "+")


def check_single_pair_order(
    reading: Reading,
    claimed_exponent: int,
    ws: Sequence[sp.Expr] = (sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(3, 4)),
) -> CheckResult:
    """p(w, ε) = Θ(ε^k) as ε → 0 for every w in `ws`, k = claimed_exponent: the limit of
    p/ε^k must be finite and positive."""
    if reading not in READINGS:
        raise InvalidArgument(f"reading={reading!r} must be one of {READINGS}")
    limits = {}
    for w in ws:
        limits[w] = _order(reading, w, claimed_exponent)[1]
    ok = all(lim.is_finite and lim.is_positive for lim in limits.values())
    shown = ", ".join(f"w={w}: {show(lim)}" for w, lim in limits.items())
    eps = sp.Symbol("epsilon", positive=True)
    if reading == "product":
        t, big_g = _antiderivative()
        at_zero = sp.simplify(2 * big_g.subs(t, eps))
        extra = f"; p(0, eps) = {show(at_zero)}"
        event = "|u v - w| <= eps"
    else:
        extra = "; p = eps*eps for every interior (u*, v*)"
        event = "|u - u*| <= eps and |v - v*| <= eps"
    return CheckResult(
        name=f"malach.single_pair_order.{reading.replace(' ', '_')}",
        paper=PAPER,
        statement=f"u, v ~ U[-1,1]: P({event}) = Theta(eps^{claimed_exponent})",
        method="symbolic",
        status=status_of(ok),
        detail=f"lim_{{eps->0}} p/eps^{claimed_exponent}: {shown}{extra}",
        config={"reading": reading, "exponent": claimed_exponent, "ws": [str(w) for w in ws]},
    )


Probability = Callable[[float, float], float]


def check_single_pair_mc(
    claimed_probability: Probability | None = None,
    cases: Sequence[tuple[float, float]] = (
        (0.5, 0.05),
        (0.25, 0.01),
        (0.9, 0.2),
        (0.01, 0.02),
        (0.0, 0.05),
        (-0.7, 0.1),
    ),
    samples: int = 200_000,
    seed: int = 0,
    alpha: float = 1e-3,
) -> CheckResult:
    """The exact p(w, ε) lies in the Clopper–Pearson interval (1 − α/#cases) of the hit rate of
    `samples` random pairs, for each (w, ε) in `cases`; a true formula fails w.p. ≤ α."""
    check_positive_int("samples", samples)
    claim = claimed_probability or hit_probability
    gen = torch.Generator().manual_seed(seed)
    u = torch.rand(samples, generator=gen, dtype=torch.float64) * 2 - 1  # (samples,)
    v = torch.rand(samples, generator=gen, dtype=torch.float64) * 2 - 1
    uv = u * v
    rows, bad = [], []
    for w, eps in cases:
        hits = int(((uv - w).abs() <= eps).sum())
        lo, hi = clopper_pearson(hits, samples, 1 - alpha / len(cases))
        p = claim(w, eps)
        rows.append(f"(w={w}, eps={eps}): {p:.5f} in {fmt_interval(lo, hi)}")
        if not lo <= p <= hi:
            bad.append(f"(w={w}, eps={eps}): claimed {p:.5f} outside {fmt_interval(lo, hi)}")
    ok = not bad
    return CheckResult(
        name="malach.single_pair_mc",
        paper=PAPER,
        statement="P(|uv - w| <= eps) = G(w+eps) - G(w-eps), G(z) = (z - z ln|z|)/2, clipped",
        method="monte carlo",
        status=status_of(ok),
        detail=f"N = {samples} pairs per case; "
        + ("; ".join(rows[:3]) + "; ..." if ok else "; ".join(bad)),
        config={"samples": samples, "seed": seed, "alpha": alpha, "cases": list(cases)},
    )


Candidates = Callable[[sp.Expr, sp.Expr, sp.Expr], sp.Expr]


def _default_candidates(p: sp.Expr, weights: sp.Expr, delta: sp.Expr) -> sp.Expr:
    return sp.log(weights / delta) / p


def _union_failure(p: float, weights: int, k: int) -> float:
    """P(some of `weights` independent weights gets no hit in k candidates of hit prob p)."""
    return -math.expm1(weights * math.log1p(-((1 - p) ** k)))


def check_union_bound(claimed_candidates: Candidates | None = None) -> CheckResult:
    """K = claimed_candidates(p, W, δ) candidates per weight make all W weights hit w.p. ≥ 1 − δ.

    Proof for claims ≥ ln(W/δ)/p: (1 − p)^K ≤ e^{−pK} (ln(1−p) ≤ −p) and W e^{−p ln(W/δ)/p} = δ.
    A smaller claim gets a counterexample: the exact failure probability 1 − (1 − (1−p)^⌈K⌉)^W of
    W independent weights exceeding δ on a grid of (p, W, δ)."""
    p, weights, delta = sp.symbols("p W delta", positive=True)
    claim = (claimed_candidates or _default_candidates)(p, weights, delta)
    needed = _default_candidates(p, weights, delta)
    # ln(1 - p) <= -p on [0, 1): h = -p - ln(1 - p), h(0) = 0, h'(p) = p/(1 - p) = t >= 0 for
    # p = t/(1 + t), t >= 0.
    t = sp.Symbol("t", nonnegative=True)
    h = -p - sp.log(1 - p)
    h_prime = sp.simplify(sp.diff(h, p).subs(p, t / (1 + t)))
    log_bound = h.subs(p, 0) == 0 and is_nonnegative_in_positives(h_prime)
    exact_at_needed = sp.simplify(weights * sp.exp(-p * needed) - delta) == 0
    gap = sp.simplify(claim - needed)
    # W >= 1 and delta < 1: W = 1 + omega, delta = 1/(1 + eta), so log(W/delta) >= 0 is visible.
    omega, eta = sp.symbols("omega eta", nonnegative=True)
    gap_in_range = sp.expand_log(gap.subs({weights: 1 + omega, delta: 1 / (1 + eta)}), force=True)
    enough = gap == 0 or is_nonnegative_in_positives(sp.simplify(gap_in_range))
    ok = log_bound and exact_at_needed and enough
    if ok:
        detail = (
            f"(1-p)^K <= exp(-pK) (h' = {h_prime} >= 0), W exp(-p K0) = delta at K0 = "
            f"{show(needed)}; claimed - K0 = {show(gap)} >= 0"
        )
    else:
        detail = f"claimed - K0 = {show(gap)} not shown >= 0"
        grid = [
            (pv, wv, dv)
            for pv in (0.5, 0.1, 0.01)
            for wv in (1, 10, 100, 1000)
            for dv in (0.5, 0.1, 0.01)
        ]
        for pv, wv, dv in grid:
            k = math.ceil(float(claim.subs({p: pv, weights: wv, delta: dv})))
            fail = _union_failure(pv, wv, max(k, 0))
            if fail > dv:
                detail = (
                    f"counterexample p = {pv}, W = {wv}, delta = {dv}: K = {k} gives failure "
                    f"probability {fail:.4g} > delta"
                )
                break
    return CheckResult(
        name="malach.union_bound",
        paper=PAPER,
        statement=f"K = {show(claim)} candidates per weight: all W weights hit w.p. >= 1 - delta",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"claimed": show(claim)},
    )


def check_union_bound_mc(
    claimed_candidates: Candidates | None = None,
    eps: float = 0.05,
    num_weights: int = 16,
    delta: float = 0.1,
    trials: int = 1000,
    seed: int = 0,
    alpha: float = 1e-3,
) -> CheckResult:
    """Simulate the K rule: per trial, `num_weights` targets w ~ U[−½, ½], K random pairs each
    with K = ⌈claimed(p_min, W, δ)⌉, p_min = p(½, ε) the smallest hit probability on [−½, ½] (p
    decreases in |w| because the density does; proven in `_p_decreases`). Fail iff the
    Clopper–Pearson lower bound (1 − α) of the failure rate exceeds δ."""
    check_positive_int("trials", trials)
    check_positive_int("num_weights", num_weights)
    p_min = hit_probability(0.5, eps)
    decreasing = _p_decreases()
    p, weights, dlt = sp.symbols("p W delta", positive=True)
    claim = (claimed_candidates or _default_candidates)(p, weights, dlt)
    k = math.ceil(float(claim.subs({p: p_min, weights: num_weights, dlt: delta})))
    gen = torch.Generator().manual_seed(seed)
    failures = 0
    chunk = max(1, 2_000_000 // (num_weights * max(k, 1)))
    for start in range(0, trials, chunk):
        m = min(chunk, trials - start)
        w = torch.rand(m, num_weights, 1, generator=gen, dtype=torch.float64) - 0.5
        u = torch.rand(m, num_weights, k, generator=gen, dtype=torch.float64) * 2 - 1
        v = torch.rand(m, num_weights, k, generator=gen, dtype=torch.float64) * 2 - 1
        hit = ((u * v - w).abs() <= eps).any(dim=2)  # (m, num_weights)
        failures += int((~hit.all(dim=1)).sum())
    lo, hi = clopper_pearson(failures, trials, 1 - alpha)
    ok = decreasing and lo <= delta
    return CheckResult(
        name="malach.union_bound_mc",
        paper=PAPER,
        statement=f"K = {show(claim)} pairs per weight: P(some weight unmatched) <= delta",
        method="monte carlo",
        status=status_of(ok),
        detail=(
            f"eps = {eps}, W = {num_weights}, delta = {delta}, p_min = p(1/2, eps) = {p_min:.5f}, "
            f"K = {k}: {failures}/{trials} trials failed, CP {1 - alpha} interval "
            f"{fmt_interval(lo, hi)}, lower end {'<=' if ok else '>'} delta"
        ),
        config={
            "eps": eps,
            "num_weights": num_weights,
            "delta": delta,
            "trials": trials,
            "seed": seed,
            "K": k,
            "alpha": alpha,
        },
    )


def _p_decreases() -> bool:
    """dp/dw = ρ(w + ε) − ρ(|w − ε|) < 0 for w, ε > 0: ρ decreases in |z| and w + ε > |w − ε|."""
    w, eps = sp.symbols("w epsilon", real=True)
    t, rho = product_density()
    decreasing = bool(sp.diff(rho, t).is_negative)
    farther = prove_nonnegative(
        (w + eps) - sp.Abs(w - eps), cells({w: POS, eps: POS}, order_magnitudes=True)
    )
    return decreasing and farther.holds
