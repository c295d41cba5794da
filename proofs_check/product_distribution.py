"""The product-distribution step of Pensia et al. 2020 (arXiv 2006.07990), before Lueker's lemma.

Lemma 1 turns one weight into a subset sum of products a·b. What the subset-sum lemma needs is
that the coefficients' law *contains* U[−½, ½]: law = m·U[−½, ½] + (1 − m)·(something), which
holds for the largest m = inf_{|z|≤½} ρ(z) (ρ the density; U[−½, ½] has density 1 there).

Two settings, derived symbolically here:

- product: Z = X·Y with X ~ U[0, 1], Y ~ U[−1, 1] (a unit kept for its sign, conditioned on it).
  ρ(z) = ∫_{|z|}^1 (1/x)·½ dx = ½ ln(1/|z|) on [−1, 1], decreasing in |z|, so m = ½ ln 2 ≈ 0.347.
  (U[−1, 1]·U[−1, 1] has the same law.)
- sign_pruned: a, b ~ U[−1, 1], the unit is kept only when a ≥ 0 and is absent (coefficient 0)
  otherwise — Pensia's "half the units pruned for the wrong sign", counted per DRAWN unit. The law
  is ½·δ_0 + ½·law(XY): the continuous part has density ¼ ln(1/|z|), so m = ¼ ln 2 ≈ 0.173.

As commonly quoted (docs/references.md, Findings 1): "products a·b of a Uniform[0,1] and a
Uniform[-1,1] variable, with half the units pruned for the wrong sign, contain Uniform[-1/2,1/2]
with weight ln 2 / 4": ln 2/4 is the exact constant per drawn unit (sign_pruned); for the
U[0,1]·U[−1,1] product it names, ln 2/4 is valid but a factor 2 below the true ln 2/2. A claim
above the true m fails.

Monte Carlo checks compare a histogram of sampled coefficients with the claimed density, and each
bin of [−½, ½] with the mass the claimed mixing weight forces, using Clopper–Pearson intervals.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Literal

import numpy as np
import sympy as sp
import torch
from scipy.integrate import quad

from approx.basics.errors import InvalidArgument, check_positive_int
from approx.basics.statistics import clopper_pearson

from ._cases import show
from ._stats import fmt_interval
from .result import CheckResult, status_of

PAPER = "Pensia et al. 2020 (arXiv 2006.07990), product-distribution step of Lemma 1/Thm 1"
QUOTED_WEIGHT = sp.log(2) / 4  # the constant as commonly quoted
Setting = Literal["product", "sign_pruned"]
SETTINGS: tuple[str, ...] = ("product", "sign_pruned")

Density = Callable[[sp.Expr], sp.Expr]


def derived_density() -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
    """ρ of X·Y (X ~ U[0,1], Y ~ U[−1,1]) at z = t and z = −t, 0 < t ≤ 1.

    ρ(z) = ∫_0^1 f_X(x) f_Y(z/x) / x dx and f_Y(z/x) = ½ exactly when x ≥ |z|."""
    t = sp.Symbol("t", positive=True)
    x = sp.Symbol("x", positive=True)
    positive_side = sp.integrate(sp.Rational(1, 2) / x, (x, t, 1))  # z = t: x >= t
    negative_side = sp.integrate(sp.Rational(1, 2) / x, (x, t, 1))  # z = -t: x >= |-t| = t
    return t, positive_side, negative_side


def _default_density(z: sp.Expr) -> sp.Expr:
    return sp.log(1 / sp.Abs(z)) / 2


def check_product_density(claimed_density: Density | None = None) -> CheckResult:
    """The density of X·Y on [−1, 1] \\ {0} equals claimed_density(z); the lemma's ½ ln(1/|z|)."""
    t, rho_pos, rho_neg = derived_density()
    z = sp.Symbol("z", real=True)
    claimed = (claimed_density or _default_density)(z)
    u = sp.Symbol("u", positive=True)
    inside = 1 / (1 + u)  # t in (0, 1) for u > 0
    diffs = [
        sp.simplify((claimed.subs(z, sign * inside) - rho.subs(t, inside)).rewrite(sp.log))
        for sign, rho in ((1, rho_pos), (-1, rho_neg))
    ]
    mass = sp.integrate(rho_pos, (t, 0, 1)) + sp.integrate(rho_neg, (t, 0, 1))
    ok = all(d == 0 for d in diffs) and mass == 1
    if ok:
        detail = (
            f"derived rho(z) = {rho_pos.subs(t, sp.Abs(z))} on both half-lines (integral over "
            f"x >= |z|), total mass {mass}; claimed - derived simplifies to 0"
        )
    else:
        detail = (
            f"derived rho(±t) = {rho_pos}; claimed - derived = {diffs[0]} (z > 0), {diffs[1]} "
            f"(z < 0) with t = 1/(1+u); e.g. at z = 1/2: claimed "
            f"{sp.N(claimed.subs(z, sp.Rational(1, 2)), 5)} vs {sp.N(rho_pos.subs(t, 0.5), 5)}"
        )
    return CheckResult(
        name="product.density",
        paper=PAPER,
        statement=f"X~U[0,1], Y~U[-1,1]: density of XY is {show(claimed)} on [-1,1]",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"claimed_density": show(claimed)},
    )


def best_mixing_weight(setting: Setting) -> tuple[sp.Expr, str]:
    """inf over 0 < |z| ≤ ½ of the continuous density, with the reason it is attained at ½."""
    t, rho, _ = derived_density()
    if setting == "product":
        density = rho
    else:
        a = sp.Symbol("a", real=True)
        kept = sp.integrate(sp.Rational(1, 2), (a, 0, 1))  # P(a >= 0), a ~ U[-1, 1]
        density = kept * rho  # the other half is the atom at 0
    decreasing = bool(sp.simplify(sp.diff(density, t)).is_negative)
    assert decreasing, density  # internal: the derivation above is fixed
    return sp.simplify(
        density.subs(t, sp.Rational(1, 2))
    ), f"density {density} at t = |z| decreases"


def check_mixing_weight(setting: Setting, claimed_weight: sp.Expr) -> CheckResult:
    """The coefficients' law contains U[−½, ½] with weight claimed_weight, i.e. claimed ≤ m."""
    if setting not in SETTINGS:
        raise InvalidArgument(f"setting={setting!r} must be one of {SETTINGS}")
    best, why = best_mixing_weight(setting)
    claimed = sp.sympify(claimed_weight)
    margin = sp.N(best - claimed, 30)
    ok = bool(margin >= 0)
    tight = sp.simplify(best - claimed) == 0
    verdict = "tight" if tight else ("valid but loose" if ok else "too large")
    detail = (
        f"{why}, so m = inf_{{|z|<=1/2}} = {best} = {float(best):.4f}; claimed {claimed} = "
        f"{float(claimed):.4f}: {verdict}"
    )
    return CheckResult(
        name=f"product.mixing_weight.{setting}",
        paper=PAPER,
        statement=f"{setting}: law contains U[-1/2,1/2] with weight {claimed}",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"setting": setting, "claimed": str(claimed), "best": str(best), "tight": tight},
    )


def sample_coefficients(setting: Setting, samples: int, generator: torch.Generator) -> torch.Tensor:
    """(samples,) float64 coefficients of the setting (0 for an absent, sign-pruned unit)."""
    a = torch.rand(samples, generator=generator, dtype=torch.float64)  # (samples,)
    b = torch.rand(samples, generator=generator, dtype=torch.float64) * 2 - 1
    if setting == "product":
        return a * b
    a = a * 2 - 1
    return torch.where(a >= 0, a * b, torch.zeros_like(a))


def check_product_density_mc(
    claimed_density: Density | None = None,
    samples: int = 200_000,
    seed: int = 0,
    bins: int = 40,
    alpha: float = 1e-3,
) -> CheckResult:
    """A histogram of X·Y on `bins` equal bins of [−1, 1] agrees with claimed_density.

    Pass iff every bin's claimed mass ∫_bin ρ lies in the bin's Clopper–Pearson interval at
    confidence 1 − α/bins: if the claim is right it fails with probability ≤ α."""
    check_positive_int("samples", samples)
    z = sp.Symbol("z", real=True)
    claimed = (claimed_density or _default_density)(z)
    rho = sp.lambdify(z, claimed, "numpy")
    edges = np.linspace(-1.0, 1.0, bins + 1)
    expected = np.array([quad(rho, lo, hi)[0] for lo, hi in itertools.pairwise(edges)])
    coeffs = sample_coefficients("product", samples, torch.Generator().manual_seed(seed))
    counts = np.histogram(coeffs.numpy(), bins=edges)[0]
    worst, worst_bin = np.inf, None
    bad = []
    for k, (count, p) in enumerate(zip(counts, expected, strict=True)):
        lo, hi = clopper_pearson(int(count), samples, 1 - alpha / bins)
        if not lo <= p <= hi:
            bad.append((k, p, lo, hi))
        slack = min(p - lo, hi - p) / max(hi - lo, 1e-300)
        if slack < worst:
            worst, worst_bin = slack, (edges[k], edges[k + 1], p, lo, hi)
    ok = not bad
    if ok:
        lo_e, hi_e, p, lo, hi = worst_bin
        detail = (
            f"N = {samples}, {bins} bins, all claimed bin masses inside their CP "
            f"{1 - alpha / bins:.5f} intervals (closest: [{lo_e:.2f},{hi_e:.2f}] {p:.5f} in "
            f"{fmt_interval(lo, hi)})"
        )
    else:
        k, p, lo, hi = bad[0]
        detail = (
            f"N = {samples}: {len(bad)}/{bins} bins reject the claim, e.g. "
            f"[{edges[k]:.2f},{edges[k + 1]:.2f}] claimed {p:.5f} outside {fmt_interval(lo, hi)}"
        )
    return CheckResult(
        name="product.density_mc",
        paper=PAPER,
        statement=f"histogram of U[0,1]*U[-1,1] matches density {show(claimed)}",
        method="monte carlo",
        status=status_of(ok),
        detail=detail,
        config={"samples": samples, "seed": seed, "bins": bins, "alpha": alpha},
    )


def check_mixing_weight_mc(
    setting: Setting,
    claimed_weight: sp.Expr,
    samples: int = 200_000,
    seed: int = 0,
    bins: int = 20,
    alpha: float = 1e-3,
) -> CheckResult:
    """Every one of `bins` equal bins of [−½, ½] holds at least claimed·width of the mass.

    Containing U[−½, ½] with weight m forces P(Z ∈ bin) ≥ m·width. Fail iff some bin's
    Clopper–Pearson upper bound (confidence 1 − α/bins) is below m·width; a true claim fails
    with probability ≤ α."""
    if setting not in SETTINGS:
        raise InvalidArgument(f"setting={setting!r} must be one of {SETTINGS}")
    check_positive_int("samples", samples)
    m = float(sp.N(claimed_weight))
    edges = np.linspace(-0.5, 0.5, bins + 1)
    width = 1.0 / bins
    coeffs = sample_coefficients(setting, samples, torch.Generator().manual_seed(seed))
    counts = np.histogram(coeffs.numpy(), bins=edges)[0]
    uppers = [clopper_pearson(int(c), samples, 1 - alpha / bins)[1] for c in counts]
    k = int(np.argmin(uppers))
    ok = uppers[k] >= m * width
    detail = (
        f"N = {samples}, {bins} bins of width {width}: lowest bin [{edges[k]:.2f},"
        f"{edges[k + 1]:.2f}] has {counts[k]} samples, CP upper {uppers[k]:.5f} "
        f"{'>=' if ok else '<'} m*width = {m * width:.5f}"
    )
    return CheckResult(
        name=f"product.mixing_weight_mc.{setting}",
        paper=PAPER,
        statement=f"{setting}: every bin of [-1/2,1/2] holds >= {claimed_weight} x its width",
        method="monte carlo",
        status=status_of(ok),
        detail=detail,
        config={
            "setting": setting,
            "claimed": str(claimed_weight),
            "samples": samples,
            "seed": seed,
            "bins": bins,
            "alpha": alpha,
        },
    )
