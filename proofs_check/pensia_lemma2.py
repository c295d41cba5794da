"""Pensia et al. 2020 (arXiv 2006.07990), Lemma 2: one neuron x ↦ w·x from d copies of Lemma 1.

The first layer M (2·d·n × d) keeps, for hidden unit u, only its edge from the one input j(u)
it serves (n units per sign per input); output weights v are arbitrary. Then the masked neuron

    g(x) = Σ_u v_u σ(M_{u, j(u)} x_{j(u)}) = Σ_j g_j(x_j),

with g_j the Lemma 1 network of input j, so the error w·x − g(x) is a sum of one-dimensional
errors and, on the cube ||x||_∞ ≤ 1 (which contains the ℓ2 unit ball),

    sup |g(x) − w·x| ≤ Σ_j sup_{|x_j|≤1} |g_j(x_j) − w_j x_j| = Σ_j e_j        (errors add),

by the triangle inequality; the instance P_j = N_j = w_j + e_j attains Σ_j e_j at x = 1, so
no bound that is a function of the per-weight errors e_j can be smaller. Per-weight error ε/d
therefore gives a neuron within ε.

Checked with sympy: the decomposition (sign cells on every kept weight and on x), the value at
the tight instance, and that a claimed bound B(e_1, …, e_d) is ≥ Σ_j e_j for all e ≥ 0. The
triangle-inequality step itself is not re-proven.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy as sp

from ._cases import ALL_SIGNS, NEG, NONNEG, cells, prove_identity, prove_nonnegative, relu, show
from .result import CheckResult, status_of

PAPER = "Pensia et al. 2020 (arXiv 2006.07990), Lemma 2"


def layer_identity(d_in: int, d_out: int, units_per_side: int, mask_cross_edges: bool = True):
    """Prove that a masked two-layer block equals, per output k, Σ_j of Lemma 1 networks.

    M1 is a full (2·d_in·n, d_in) matrix of symbols, masked so that unit u keeps only its edge
    from input j(u) (unless `mask_cross_edges` is False: then the claim is false); M2 is a full
    (d_out, 2·d_in·n) matrix of symbols (a pruned M2 is the special case of zero entries).
    Returns the CaseProof of the first output that fails, or of the last one.
    """
    n = units_per_side
    x = sp.symbols(f"x0:{d_in}", real=True)
    units = [(j, side, r) for j in range(d_in) for side in (+1, -1) for r in range(n)]
    m1 = sp.Matrix(len(units), d_in, lambda u, j: sp.Symbol(f"m{u}_{j}", real=True))
    m2 = sp.Matrix(d_out, len(units), lambda k, u: sp.Symbol(f"v{k}_{u}", real=True))
    keep = sp.Matrix(
        len(units), d_in, lambda u, j: 1 if (j == units[u][0] or not mask_cross_edges) else 0
    )
    m1 = m1.multiply_elementwise(keep)
    hidden = [relu(e) for e in m1 * sp.Matrix(x)]
    signs = {m1[u, j]: (NONNEG if side > 0 else NEG) for u, (j, side, _) in enumerate(units)}
    signs.update(dict.fromkeys(x, ALL_SIGNS))
    residual = []
    for k in range(d_out):
        g_k = sum(m2[k, u] * hidden[u] for u in range(len(units)))
        claim = 0
        for j in range(d_in):
            big_p = sum(
                m1[u, j] * m2[k, u] for u, (jj, s, _) in enumerate(units) if (jj, s) == (j, 1)
            )
            big_n = sum(
                m1[u, j] * m2[k, u] for u, (jj, s, _) in enumerate(units) if (jj, s) == (j, -1)
            )
            claim += sp.Piecewise((big_p * x[j], x[j] >= 0), (big_n * x[j], True))
        residual.append(g_k - claim)
    cell_list = cells(signs)
    proofs = [prove_identity(r, cell_list) for r in residual]
    return next((p for p in proofs if not p.holds), proofs[-1])


def check_lemma2_decomposition(
    inputs: int = 2, units_per_side: int = 1, mask_cross_edges: bool = True
) -> CheckResult:
    """The masked neuron equals Σ_j g_j(x_j) (false when the cross edges are kept)."""
    proof = layer_identity(inputs, 1, units_per_side, mask_cross_edges)
    return CheckResult(
        name="pensia.lemma2.decomposition",
        paper=PAPER,
        statement=(
            f"v^T relu((M*mask) x) == sum_j [P_j x_j (x_j>=0), N_j x_j (x_j<0)] for d = {inputs}"
            f" inputs, {units_per_side} unit(s) per sign per input, "
            + ("each unit keeping only its own input's edge" if mask_cross_edges else "no mask")
        ),
        method="symbolic",
        status=status_of(proof.holds),
        detail=(
            f"difference simplifies to 0 in all {proof.cells} cells (kept weights' signs, x's "
            "signs; output weights and pruned cross weights symbolic)"
            if proof.holds
            else proof.failure
        ),
        config={"inputs": inputs, "units_per_side": units_per_side, "mask": mask_cross_edges},
    )


NeuronBound = Callable[[Sequence[sp.Symbol]], sp.Expr]


def check_lemma2_error_sum(
    claimed_bound: NeuronBound | None = None, inputs: int = 3
) -> CheckResult:
    """sup_{||x||_∞≤1} |g(x) − w·x| ≤ claimed_bound(e) for per-weight errors e_j = max(|P_j −
    w_j|, |N_j − w_j|); the lemma's bound is Σ_j e_j, which the worst instance attains."""
    e = sp.symbols(f"e0:{inputs}", nonnegative=True)
    w = sp.symbols(f"w0:{inputs}", real=True)
    bound = (claimed_bound or sum)(e)
    # Tight instance P_j = N_j = w_j + e_j at x = (1, ..., 1): the error of each g_j is e_j.
    x = sp.symbols(f"x0:{inputs}", real=True)
    big_p = big_n = [wj + ej for wj, ej in zip(w, e, strict=True)]
    error = sum(  # g(x) - w.x, with g from the decomposition and Lemma 1
        sp.Piecewise((pj * xj, xj >= 0), (nj * xj, True)) - wj * xj
        for pj, nj, wj, xj in zip(big_p, big_n, w, x, strict=True)
    )
    attained = sp.simplify(error.subs(dict.fromkeys(x, 1)))
    worst_is_sum = sp.simplify(attained - sum(e)) == 0
    e_real = sp.symbols(f"e0:{inputs}", real=True)
    gap = (bound - sum(e)).xreplace(dict(zip(e, e_real, strict=True)))
    proof = prove_nonnegative(gap, cells(dict.fromkeys(e_real, NONNEG), order_magnitudes=True))
    ok = worst_is_sum and proof.holds
    detail = f"error at x = 1 for P_j = N_j = w_j + e_j: {attained} (= sum e_j: {worst_is_sum}); "
    detail += (
        f"bound - sum(e) >= 0 in all {proof.cells} cells of e >= 0"
        if proof.holds
        else f"bound below the attained worst case: {proof.failure}"
    )
    return CheckResult(
        name="pensia.lemma2.error_sum",
        paper=PAPER,
        statement=f"sup_{{||x||_inf<=1}} |g(x) - w.x| <= {show(bound)} (d = {inputs})",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"inputs": inputs, "bound": show(bound)},
    )
