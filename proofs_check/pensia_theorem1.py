"""Pensia et al. 2020 (arXiv 2006.07990), Theorem 1: how per-layer errors compose over l layers.

Setting: f_i = W_i σ(f_{i−1}) (f_1 = W_1 x), and g_i the same with layer i replaced by a
bias-free ReLU block ĝ_i, which is positively homogeneous (relu.scaling), with error
e_i = sup_{||y||≤1} ||ĝ_i(y) − W_i y||, so ||ĝ_i(y) − W_i y|| ≤ e_i ||y||. For ||x|| ≤ 1, with
B_i = Π_{j≤i} ||W_j|| (≥ ||f_i(x)||) and Δ_i = sup ||f_i(x) − g_i(x)||:

    Δ_i ≤ ||ĝ_i(σ(g_{i−1})) − W_i σ(g_{i−1})|| + ||W_i (σ(g_{i−1}) − σ(f_{i−1}))||
        ≤ e_i (B_{i−1} + Δ_{i−1}) + ||W_i|| Δ_{i−1},      Δ_0 = 0, B_0 = 1,

using |σ(a) − σ(b)| ≤ |a − b| and |σ(a)| ≤ |a| (relu.lipschitz). Checked here with sympy:

- closed form: the recursion solves to Δ_l = Π_i (||W_i|| + e_i) − Π_i ||W_i|| (by induction:
  Δ_i + B_i = (||W_i|| + e_i)(Δ_{i−1} + B_{i−1})), and a scalar chain with weights w_i > 0
  replaced by w_i + e_i has exactly this error at x = 1, so the bound is tight;
- per-layer budget: with ||W_i|| ≤ 1 and e_i ≤ ε/(2l), Δ_l ≤ e^{ε/2} − 1 ≤ ε for ε ∈ (0, 1]
  (the composition as commonly quoted: "within ε/(2l)-ish … the errors add up"; docs/
  references.md, Findings 3). Budgets ε/(c·l) are safe for every
  l exactly when e^{1/c} ≤ 2, i.e. c ≥ 1/ln 2 ≈ 1.443; ε/l is not (l = 2, ε = 1: 5/4 > 1);
- sum of errors: Δ_l ≤ (e − 1)·Σ e_i when all ||W_i|| ≤ 1 and Σ e_i ≤ 1, and e − 1 ≈ 1.718 is
  the best constant: "errors simply add" (factor 1) is false, l = 2, e_i = ½ gives 5/4 > 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import sympy as sp

from ._cases import is_nonnegative_in_positives, show
from .result import CheckResult, status_of

PAPER = "Pensia et al. 2020 (arXiv 2006.07990), Theorem 1 (proof)"

ClosedForm = Callable[[Sequence[sp.Expr], Sequence[sp.Expr]], sp.Expr]


def default_closed_form(ws: Sequence[sp.Expr], es: Sequence[sp.Expr]) -> sp.Expr:
    return sp.prod([w + e for w, e in zip(ws, es, strict=True)]) - sp.prod(ws)


def recursion(ws: Sequence[sp.Expr], es: Sequence[sp.Expr]) -> sp.Expr:
    """Δ_l from Δ_i = e_i (B_{i−1} + Δ_{i−1}) + w_i Δ_{i−1}, Δ_0 = 0, B_0 = 1."""
    delta, big_b = sp.Integer(0), sp.Integer(1)
    for w, e in zip(ws, es, strict=True):
        delta, big_b = e * (big_b + delta) + w * delta, big_b * w
    return delta


def _layer_symbols(depth: int):
    ws = sp.symbols(f"w1:{depth + 1}", nonnegative=True)
    es = sp.symbols(f"e1:{depth + 1}", nonnegative=True)
    return ws, es


def _induction_step() -> bool:
    """Induction: Δ_{i−1} = Q − B (Q = Π_{j<i}(w_j + e_j), B = Π_{j<i} w_j) gives
    Δ_i = (w_i + e_i)·Q − w_i·B."""
    q, big_b, w, e = sp.symbols("Q B w e", real=True)
    delta_prev = q - big_b
    delta = e * (big_b + delta_prev) + w * delta_prev
    return sp.expand(delta - ((w + e) * q - w * big_b)) == 0


def _scalar_chain_error(ws: Sequence[sp.Expr], es: Sequence[sp.Expr]) -> sp.Expr:
    """g(1) − f(1) for f(x) = w_l σ(… σ(w_1 x)) and g with every w_i replaced by w_i + e_i."""
    f = g = sp.Integer(1)
    for i, (w, e) in enumerate(zip(ws, es, strict=True)):
        if i:
            f, g = sp.Max(0, f), sp.Max(0, g)
        f, g = w * f, (w + e) * g
    return g - f


def check_theorem1_closed_form(
    claimed_closed_form: ClosedForm | None = None, max_depth: int = 6
) -> CheckResult:
    """The recursion's solution and the tight scalar chain's error both equal the claim, for
    l = 1..max_depth; the default claim Π(w_i + e_i) − Π w_i is also proven for all l by
    induction. A first-order claim Σ_i e_i Π_{j≠i} w_j (a dropped term) fails at l = 2."""
    claim = claimed_closed_form or default_closed_form
    for depth in range(1, max_depth + 1):
        ws, es = _layer_symbols(depth)
        target = claim(ws, es)
        for what, value in (
            ("recursion", recursion(ws, es)),
            ("scalar chain at x = 1 (w, e > 0)", _scalar_chain_error(ws, es)),
        ):
            difference = sp.expand(value - target)
            if difference != 0:
                return CheckResult(
                    name="pensia.theorem1.closed_form",
                    paper=PAPER,
                    statement=f"Delta_l == {show(target)} (l = {depth})",
                    method="symbolic",
                    status="fail",
                    detail=f"l = {depth}: {what} gives {show(sp.factor(value))}; "
                    f"minus claim = {show(difference)}",
                    config={"max_depth": max_depth},
                )
    ws, es = _layer_symbols(2)
    induction = claimed_closed_form is None and _induction_step()
    detail = (
        f"recursion unrolled and scalar ReLU chain (tight instance) both equal the claim for "
        f"l = 1..{max_depth}"
    )
    detail += "; induction step for all l proven" if induction else ""
    return CheckResult(
        name="pensia.theorem1.closed_form",
        paper=PAPER,
        statement=(
            "Delta_i <= e_i (B_{i-1} + Delta_{i-1}) + ||W_i|| Delta_{i-1} solves to "
            f"{show(claim(ws, es))} (l = 2 shown), attained by a scalar chain"
        ),
        method="symbolic",
        status="pass",
        detail=detail,
        config={"max_depth": max_depth},
    )


def _monotone(max_depth: int = 4) -> bool:
    """Π(w + e) − Π w has nonnegative partial derivatives on w, e ≥ 0 (polynomials with
    nonnegative coefficients), so its max over ||W_i|| ≤ 1, e_i ≤ b is at w_i = 1, e_i = b."""
    for depth in range(1, max_depth + 1):
        ws, es = _layer_symbols(depth)
        f = default_closed_form(ws, es)
        for v in (*ws, *es):
            poly = sp.Poly(sp.expand(sp.diff(f, v)), *ws, *es)
            if not all(c >= 0 for c in poly.coeffs()):
                return False
    return True


def _log1p_below_identity() -> bool:
    """ln(1 + b) ≤ b for b ≥ 0: h = b − ln(1 + b) has h(0) = 0 and h' = b/(1 + b) ≥ 0."""
    b = sp.Symbol("b", nonnegative=True)
    h = b - sp.log(1 + b)
    return h.subs(b, 0) == 0 and is_nonnegative_in_positives(sp.simplify(sp.diff(h, b)))


def _worst_error(budget: sp.Expr, depth: int) -> sp.Expr:
    return (1 + budget) ** depth - 1


Budget = Callable[[sp.Expr, sp.Expr], sp.Expr]


def check_theorem1_layer_budget(claimed_budget: Budget | None = None) -> CheckResult:
    """With ||W_i|| ≤ 1 and every e_i ≤ claimed_budget(ε, l): Δ_l ≤ ε for all l ≥ 1, ε ∈ (0, 1].

    Proof: Δ_l ≤ (1 + b)^l − 1 (monotone, `_monotone`) ≤ e^{l·b} − 1 (ln(1+b) ≤ b); if l·b = h(ε)
    does not depend on l and φ = e^h − 1 − ε is convex with φ(0) ≤ 0 and φ(1) ≤ 0, then φ ≤ 0 on
    [0, 1]. Otherwise a counterexample is searched on l ≤ 64, ε ∈ {1, ½, …, 2^-10}, evaluating the
    tight scalar chain's error (1 + b)^l − 1 exactly.
    """
    eps = sp.Symbol("epsilon", positive=True)
    depth = sp.Symbol("l", positive=True, integer=True)
    budget_of = claimed_budget or (lambda eps, depth: eps / (2 * depth))
    budget = budget_of(eps, depth)
    h = sp.simplify(depth * budget)
    phi = sp.exp(h) - 1 - eps
    proven = (
        depth not in h.free_symbols
        and _monotone()
        and _log1p_below_identity()
        and bool(sp.simplify(phi.subs(eps, 0)) <= 0)
        and bool(sp.N(phi.subs(eps, 1), 30) <= 0)
        and is_nonnegative_in_positives(sp.simplify(sp.diff(h, eps, 2)))
    )
    if proven:
        detail = (
            f"Delta_l <= (1+b)^l - 1 <= exp(l b) - 1 = exp({h}) - 1; phi = exp({h}) - 1 - eps is "
            f"convex with phi(0) = {sp.simplify(phi.subs(eps, 0))}, phi(1) = "
            f"{sp.N(phi.subs(eps, 1), 4)} <= 0, hence <= 0 on (0, 1]"
        )
    else:
        detail = "not proven (l*b depends on l, or exp(l b) - 1 - eps > 0 somewhere)"
        for d in range(1, 65):
            for k in range(11):
                e_val = sp.Rational(1, 2**k)
                worst = _worst_error(budget_of(e_val, sp.Integer(d)), d)
                if worst > e_val:
                    detail = (
                        f"counterexample l = {d}, eps = {e_val}: the scalar chain with "
                        f"||W_i|| = 1, e_i = {budget_of(e_val, sp.Integer(d))} has error "
                        f"{worst} = {float(worst):.4g} > eps"
                    )
                    break
            else:
                continue
            break
    return CheckResult(
        name="pensia.theorem1.layer_budget",
        paper=PAPER + "; quoted as 'eps/(2l)-ish' (docs/references.md, Findings 3)",
        statement=f"||W_i|| <= 1, e_i <= {show(budget)} give Delta_l <= eps, all l, eps in (0,1]",
        method="symbolic",
        status=status_of(proven),
        detail=detail,
        config={"budget": show(budget)},
    )


def check_theorem1_sum_of_errors(claimed_factor: sp.Expr | None = None) -> CheckResult:
    """Δ_l ≤ c·Σ e_i whenever ||W_i|| ≤ 1 and Σ e_i ≤ 1, with c = claimed_factor (best: e − 1).

    Proof: Δ_l ≤ Π(1 + e_i) − 1 ≤ e^S − 1 with S = Σ e_i, and ψ(S) = (e − 1)S − (e^S − 1) is
    concave with ψ(0) = ψ(1) = 0, so ψ ≥ 0 on [0, 1]: c ≥ e − 1 suffices. For c < e − 1 the chain
    with l layers, ||W_i|| = 1, e_i = 1/l has error (1 + 1/l)^l − 1 → e − 1 > c.
    """
    c = sp.sympify(sp.E - 1 if claimed_factor is None else claimed_factor)
    c_label = "(e - 1)" if c == sp.E - 1 else str(c)
    s = sp.Symbol("S", nonnegative=True)
    psi = (sp.E - 1) * s - (sp.exp(s) - 1)
    chord = (
        _monotone()
        and _log1p_below_identity()
        and psi.subs(s, 0) == 0
        and sp.simplify(psi.subs(s, 1)) == 0
        and bool(sp.diff(psi, s, 2).is_negative)
    )
    proven = chord and bool(sp.N(c - (sp.E - 1), 30) >= 0)
    if proven:
        detail = (
            "Delta_l <= prod(1+e_i) - 1 <= exp(S) - 1 <= (e-1) S on S in [0,1] (concave "
            f"psi, psi(0) = psi(1) = 0); claimed c = {c_label} >= e-1"
        )
    else:
        detail = f"c = {c_label} not proven"
        for k in range(17):
            d = 2**k
            worst = (1 + sp.Float(1, 50) / d) ** d - 1
            if worst > c:
                detail = (
                    f"counterexample l = {d}, ||W_i|| = 1, e_i = 1/{d} (sum 1): error "
                    f"(1+1/{d})^{d} - 1 = {sp.N(worst, 6)} > c * 1 = {sp.N(c, 6)}"
                )
                break
    return CheckResult(
        name="pensia.theorem1.sum_of_errors",
        paper=PAPER + "; quoted as 'the errors add up' (docs/references.md, Findings 3)",
        statement=f"||W_i|| <= 1, sum e_i <= 1 give Delta_l <= {c_label} * sum e_i",
        method="symbolic",
        status=status_of(proven),
        detail=detail,
        config={"factor": c_label, "factor_value": float(sp.N(c)), "best": math.e - 1},
    )
