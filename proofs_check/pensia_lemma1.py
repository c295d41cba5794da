"""Pensia et al. 2020 (arXiv 2006.07990), Lemma 1: one weight from two half-line subset sums.

Setting (docs/references.md, Pensia et al. 2020, Lemmas 1–3): an input x ∈ R feeds hidden units
u, each keeping only its edge from x (weight a_u) and an edge to the output (weight b_u). The
units kept for x ≥ 0 form S+ and have a_u ≥ 0; those kept for x < 0 form S− and have a_u < 0.
Then

    g(x) = Σ_{S+} b_u σ(a_u x) + Σ_{S−} b_u σ(a_u x) = P·x for x ≥ 0,  N·x for x < 0,
    P = Σ_{S+} a_u b_u,   N = Σ_{S−} a_u b_u,

so each half-line is one subset-sum problem (make P ≈ w and N ≈ w), and

    sup_{|x| ≤ 1} |g(x) − w·x| = max(|P − w|, |N − w|)        (attained at x = 1 or x = −1).

Both steps are proven with sympy: the identity by sign cells on every a_u and on x, the sup by
`sympy.maximum` of the error, which is linear in |x| on each half-line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from ._cases import ALL_SIGNS, NEG, NONNEG, cells, prove_identity, prove_nonnegative, relu, show
from .result import CheckResult, status_of

PAPER = "Pensia et al. 2020 (arXiv 2006.07990), Lemma 1"

Slope = Callable[[Sequence[sp.Symbol], Sequence[sp.Symbol]], sp.Expr]


def _default_slope(incoming: Sequence[sp.Symbol], outgoing: Sequence[sp.Symbol]) -> sp.Expr:
    return sum(a * b for a, b in zip(incoming, outgoing, strict=True))


def check_lemma1_identity(
    claimed_positive_slope: Slope | None = None,
    claimed_negative_slope: Slope | None = None,
    units_per_side: int = 2,
) -> CheckResult:
    """g(x) == P·x (x ≥ 0) and N·x (x < 0), P and N given by the claimed slope functions of
    (incoming weights, outgoing weights) of S+ and S−; the lemma's are Σ a_u b_u for both."""
    k = units_per_side
    a = sp.symbols(f"a0:{k}", real=True)  # incoming weights in S+ (a >= 0)
    b = sp.symbols(f"b0:{k}", real=True)
    c = sp.symbols(f"c0:{k}", real=True)  # incoming weights in S- (c < 0)
    d = sp.symbols(f"d0:{k}", real=True)
    x = sp.Symbol("x", real=True)
    g = sum(bi * relu(ai * x) for ai, bi in zip(a, b, strict=True)) + sum(
        di * relu(ci * x) for ci, di in zip(c, d, strict=True)
    )
    big_p = (claimed_positive_slope or _default_slope)(a, b)
    big_n = (claimed_negative_slope or _default_slope)(c, d)
    claim = sp.Piecewise((big_p * x, x >= 0), (big_n * x, True))
    signs = {**dict.fromkeys(a, NONNEG), **dict.fromkeys(c, NEG), x: ALL_SIGNS}
    proof = prove_identity(g - claim, cells(signs))
    detail = (
        f"g - claim simplifies to 0 in all {proof.cells} cells (signs of a_u in {{0,+}}, "
        f"c_u < 0, x in {{-,0,+}}; b_u, d_u symbolic)"
        if proof.holds
        else proof.failure
    )
    return CheckResult(
        name="pensia.lemma1.identity",
        paper=PAPER,
        statement=(
            f"sum_S+ b relu(a x) + sum_S- d relu(c x) == P x (x>=0), N x (x<0) with "
            f"P = {show(big_p)}, N = {show(big_n)}, |S+| = |S-| = {k}"
        ),
        method="symbolic",
        status=status_of(proof.holds),
        detail=detail,
        config={"units_per_side": k, "P": show(big_p), "N": show(big_n)},
    )


Bound = Callable[[sp.Expr, sp.Expr, sp.Expr], sp.Expr]


def check_lemma1_error_bound(claimed_bound: Bound | None = None) -> CheckResult:
    """sup_{|x|≤1} |g(x) − w x| ≤ claimed_bound(P, N, w) for all real P, N, w.

    The lemma's bound max(|P − w|, |N − w|) is the exact sup; a smaller claim (e.g. |P − w|
    alone, a dropped term) fails with a counterexample.
    """
    big_p, big_n, w = sp.symbols("P N w", real=True)
    s = sp.Symbol("s", nonnegative=True)  # s = |x|
    # g(x) - w x = (P - w) x on x >= 0 and (N - w) x on x < 0: |error| = |P - w| s, |N - w| s.
    sup = sp.Max(
        sp.maximum(sp.Abs(big_p - w) * s, s, sp.Interval(0, 1)),
        sp.maximum(sp.Abs(big_n - w) * s, s, sp.Interval(0, 1)),
    )
    bound = (claimed_bound or (lambda P, N, w: sp.Max(sp.Abs(P - w), sp.Abs(N - w))))(
        big_p, big_n, w
    )
    # Only the differences p = P - w and n = N - w matter; w stays a variable if the claim
    # depends on it otherwise.
    p, n = sp.symbols("p n", real=True)
    gap = sp.expand((bound - sup).subs({big_p: w + p, big_n: w + n}))
    variables = {p: ALL_SIGNS, n: ALL_SIGNS}
    if w in gap.free_symbols:
        variables[w] = ALL_SIGNS
    proof = prove_nonnegative(gap, cells(variables, order_magnitudes=True))
    detail = (
        f"sup = {show(sup)} (sympy.maximum over |x| in [0,1] on each half-line); "
        f"bound - sup >= 0 in all {proof.cells} sign/magnitude cells of p = P-w, n = N-w"
        if proof.holds
        else f"sup = {show(sup)}; bound - sup < 0: {proof.failure} (p = P-w, n = N-w)"
    )
    return CheckResult(
        name="pensia.lemma1.error_bound",
        paper=PAPER,
        statement=f"sup_{{|x|<=1}} |g(x) - w x| <= {show(bound)}",
        method="symbolic",
        status=status_of(proof.holds),
        detail=detail,
        config={"bound": show(bound)},
    )
