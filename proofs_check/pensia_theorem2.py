"""Pensia et al. 2020 (arXiv 2006.07990), Theorem 2: the counting lower bound.

Claim (docs/references.md, Pensia et al. 2020, Theorem 2; restated by Natale et al. 2024): a
random network with m parameters whose subnetworks ε-approximate every W ∈ 𝒲 = {W ∈ R^{d×d}:
||W||_2 ≤ 1}, each with probability ≥ ½, has m ≥ d² log2(1/(2ε)) − 1. The chain checked here (D
= d²):

1. volume: y = r·x on R^D has Jacobian det(r·I_D) = r^D, so vol(r𝒲) = r^D vol(𝒲);
2. packing: a maximal set P ⊂ 𝒲 with pairwise ||W − W'||_2 > 2ε covers 𝒲 by balls of radius 2ε,
   so vol(𝒲) ≤ |P| (2ε)^D vol(𝒲), i.e. |P| ≥ (1/(2ε))^D;
3. counting: one subnetwork ε-approximates (in sup over ||x|| ≤ 1, i.e. operator norm for a
   linear map) at most one element of P, since two would be within 2ε of each other. So the
   number N of elements of P approximated by some subnetwork is ≤ 2^m always, while
   E[N] = Σ_{W∈P} P(W approximated) ≥ |P|/2: hence 2^m ≥ |P|/2 ≥ (1/(2ε))^D / 2;
4. logarithm: m ≥ log2((1/(2ε))^D / 2) = d² log2(1/(2ε)) − 1.

Steps 1, 2 (the algebra) and 4 are done in sympy; the geometric facts in 2–3 (maximal packing is
a cover, triangle inequality) are the textbook argument, stated, not re-proven. A claimed bound
passes when it is implied by the derived one for all d ≥ 1 and 0 < ε < ½ (it may be weaker),
and fails when it claims more than the argument gives. A depth-2 network d → h → d has 2·d·h
parameters, so its width must be h ≥ (d² log2(1/(2ε)) − 1)/(2d) = Ω(d log(1/ε)).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ._cases import is_nonnegative_in_positives, show
from .result import CheckResult, status_of

PAPER = "Pensia et al. 2020 (arXiv 2006.07990), Theorem 2"

LowerBound = Callable[[sp.Expr, sp.Expr], sp.Expr]


def _volume_scaling() -> bool:
    r = sp.Symbol("r", positive=True)
    return all(sp.simplify((r * sp.eye(d * d)).det() - r ** (d * d)) == 0 for d in (1, 2, 3))


def derived_bound() -> tuple[sp.Symbol, sp.Symbol, sp.Expr, str]:
    d = sp.Symbol("d", positive=True, integer=True)
    eps = sp.Symbol("epsilon", positive=True)
    packing = sp.Symbol("P", positive=True)
    vol = sp.Symbol("V", positive=True)
    # step 2: vol <= |P| (2 eps)^D vol  =>  |P| >= (2 eps)^-D
    packing_min = sp.solve(sp.Eq(vol, packing * (2 * eps) ** (d**2) * vol), packing)[0]
    # steps 3-4: 2^m >= |P|/2  =>  m >= log2(|P|/2)
    bound = sp.expand_log(sp.log(packing_min / 2, 2), force=True)
    note = f"|P| >= {packing_min}"
    return d, eps, sp.simplify(bound), note


def check_lower_bound(claimed_bound: LowerBound | None = None) -> CheckResult:
    """m ≥ claimed_bound(d, ε) follows from the packing argument (claimed ≤ derived)."""
    d, eps, bound, note = derived_bound()
    claimed = (claimed_bound or (lambda d, eps: d**2 * sp.log(1 / (2 * eps), 2) - 1))(d, eps)
    target = d**2 * sp.log(1 / (2 * eps), 2) - 1
    derivation_ok = (
        _volume_scaling() and sp.simplify(sp.expand_log(bound - target, force=True)) == 0
    )
    # 0 < eps < 1/2: eps = 1/(2(1 + s)), s > 0, so log2(1/(2 eps)) = log2(1 + s) > 0.
    s = sp.Symbol("s", positive=True)
    gap = sp.expand_log(sp.simplify((bound - claimed).subs(eps, 1 / (2 * (1 + s)))), force=True)
    implied = sp.simplify(gap) == 0 or is_nonnegative_in_positives(sp.simplify(gap))
    ok = derivation_ok and implied
    derived = "d^2 log2(1/(2 eps)) - 1" if derivation_ok else show(bound)
    if ok:
        detail = (
            f"det(r I_D) = r^D (D = 1, 4, 9); {note}; m >= log2(|P|/2) = {derived}; "
            f"derived - claimed = {show(sp.simplify(gap))} >= 0 for eps = 1/(2(1+s)), s > 0; "
            f"depth-2 width h >= (d^2 log2(1/(2 eps)) - 1)/(2d)"
        )
    else:
        detail = f"derived m >= {derived}"
        for dv in (1, 2, 3, 10):
            for ev in (sp.Rational(1, 4), sp.Rational(1, 8), sp.Rational(1, 100)):
                lhs, rhs = bound.subs({d: dv, eps: ev}), claimed.subs({d: dv, eps: ev})
                if sp.N(rhs - lhs, 30) > 0:
                    detail += (
                        f"; the claim asks for more at d = {dv}, eps = {ev}: "
                        f"{sp.N(rhs, 6)} > {sp.N(lhs, 6)}"
                    )
                    break
            else:
                continue
            break
    return CheckResult(
        name="pensia.theorem2.lower_bound",
        paper=PAPER,
        statement=f"m >= {show(claimed)} parameters for all d x d maps with ||W|| <= 1",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"claimed": show(claimed)},
    )
