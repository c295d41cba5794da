"""The ReLU facts every construction and error bound rests on (docs/references.md, Common setting).

- split: w·x = σ(wx) − σ(−wx) for all real w, x — a signed weight from two ReLU paths;
- positive homogeneity: b·σ(a·x) = (a·b)·x for a ≥ 0, x ≥ 0 — a path input → unit → output
  carries the product of its two weights on one half-line;
- scaling: σ(t·u) = t·σ(u) for t ≥ 0 — bias-free ReLU blocks are positively homogeneous, so a
  block's error on the ball of radius r is r times its error on the unit ball (Theorem 1);
- 1-Lipschitz and |σ(u)| ≤ |u| — the two facts Theorem 1's error recursion uses.

Each is proven with sympy, σ written as Max(0, ·), by splitting on the signs of the variables
(and the order of their magnitudes where two are compared); see `_cases`.
Each check takes the claim as an argument so the tests can pass a wrong one and see it fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from ._cases import ALL_SIGNS, NONNEG, cells, prove_identity, prove_nonnegative, relu, show
from .result import CheckResult, status_of

PAPER = "Common setting (docs/references.md), all constructions"

Claim2 = Callable[[sp.Expr, sp.Expr], sp.Expr]


def _detail(proof, what: str, shown: str = "simplifies to 0") -> str:
    if proof.holds:
        return f"{what}: {shown} in all {proof.cells} cells"
    return f"{what}: {proof.failure}"


def check_relu_split(claimed_rhs: Claim2 | None = None) -> CheckResult:
    """w·x == claimed_rhs(w, x) for all real w, x; the paper's rhs is σ(wx) − σ(−wx)."""
    w, x = sp.symbols("w x", real=True)
    rhs = claimed_rhs(w, x) if claimed_rhs else relu(w * x) - relu(-w * x)
    proof = prove_identity(w * x - rhs, cells({w: ALL_SIGNS, x: ALL_SIGNS}))
    return CheckResult(
        name="relu.split",
        paper=PAPER,
        statement=f"w*x == {show(rhs)} for all real w, x",
        method="symbolic",
        status=status_of(proof.holds),
        detail=_detail(proof, "w*x - rhs"),
        config={"rhs": show(rhs)},
    )


def check_positive_homogeneity(
    claimed_rhs: Claim2 | None = None, x_signs: Sequence[int] = NONNEG
) -> CheckResult:
    """b·σ(a·x) == claimed_rhs(a, x)·b for a ≥ 0 and x with a sign in `x_signs`.

    The paper's claim: rhs a·x, for x ≥ 0 (x_signs = (0, 1)). Passing x_signs = (−1, 0, 1)
    drops the half-line condition, which is false.
    """
    a, x, b = sp.symbols("a x b", real=True)
    rhs = claimed_rhs(a, x) if claimed_rhs else a * x
    proof = prove_identity(b * relu(a * x) - b * rhs, cells({a: NONNEG, x: tuple(x_signs)}))
    domain = "x >= 0" if set(x_signs) <= {0, 1} else f"sign(x) in {tuple(x_signs)}"
    return CheckResult(
        name="relu.positive_homogeneity",
        paper=PAPER,
        statement=f"b*relu(a*x) == b*({rhs}) for a >= 0, {domain}, b real",
        method="symbolic",
        status=status_of(proof.holds),
        detail=_detail(proof, "b*relu(a*x) - b*rhs"),
        config={"rhs": show(rhs), "x_signs": tuple(x_signs)},
    )


def check_relu_scaling(t_signs: Sequence[int] = NONNEG) -> CheckResult:
    """σ(t·u) == t·σ(u) for real u and t with a sign in `t_signs` (the paper's: t ≥ 0)."""
    t, u = sp.symbols("t u", real=True)
    proof = prove_identity(relu(t * u) - t * relu(u), cells({t: tuple(t_signs), u: ALL_SIGNS}))
    return CheckResult(
        name="relu.scaling",
        paper=PAPER + "; used by Pensia Thm 1",
        statement=f"relu(t*u) == t*relu(u) for u real, sign(t) in {tuple(t_signs)}",
        method="symbolic",
        status=status_of(proof.holds),
        detail=_detail(proof, "relu(t*u) - t*relu(u)"),
        config={"t_signs": tuple(t_signs)},
    )


def check_relu_lipschitz(claimed_constant: sp.Expr | int = 1) -> CheckResult:
    """|σ(a) − σ(b)| ≤ L·|a − b| and |σ(a)| ≤ L·|a| for all real a, b, with L = claimed_constant.

    Both hold with L = 1 (Theorem 1's recursion uses exactly this); any L < 1 is false.
    """
    a, b = sp.symbols("a b", real=True)
    big_l = sp.sympify(claimed_constant)
    lipschitz = prove_nonnegative(
        big_l * sp.Abs(a - b) - sp.Abs(relu(a) - relu(b)),
        cells({a: ALL_SIGNS, b: ALL_SIGNS}, order_magnitudes=True),
    )
    contraction = prove_nonnegative(big_l * sp.Abs(a) - sp.Abs(relu(a)), cells({a: ALL_SIGNS}))
    ok = lipschitz.holds and contraction.holds
    return CheckResult(
        name="relu.lipschitz",
        paper=PAPER + "; used by Pensia Thm 1",
        statement=f"|relu(a)-relu(b)| <= {big_l}*|a-b| and |relu(a)| <= {big_l}*|a|",
        method="symbolic",
        status=status_of(ok),
        detail="; ".join(
            [
                _detail(lipschitz, "L|a-b| - |relu(a)-relu(b)|", "is >= 0 (sign/magnitude order)"),
                _detail(contraction, "L|a| - |relu(a)|", "is >= 0"),
            ]
        ),
        config={"L": str(big_l)},
    )
