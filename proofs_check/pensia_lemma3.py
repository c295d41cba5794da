"""Pensia et al. 2020 (arXiv 2006.07990), Lemma 3: one layer W (d_2 × d_1) from a two-layer block.

M1 is (2·d_1·n) × d_1 and M2 is d_2 × (2·d_1·n); the incoming edges (M1, one kept per unit) are
shared by all d_2 outputs and each output picks its own subsets in its row of M2, so output k is
the Lemma 2 neuron for row k of W. Parameters before pruning:

    (2 d_1 n)·d_1 + d_2·(2 d_1 n) = 2 d_1² n + 2 d_1 d_2 n.

Checked with sympy: the count from the two shapes against the claimed formula, and the
shared-first-layer identity (every output of the masked block is Σ_j of Lemma 1 networks with
the SAME incoming weights) by sign cells.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from ._cases import show
from .pensia_lemma2 import layer_identity
from .result import CheckResult, status_of

PAPER = "Pensia et al. 2020 (arXiv 2006.07990), Lemma 3"

Count = Callable[[sp.Symbol, sp.Symbol, sp.Symbol], sp.Expr]


def check_lemma3_parameter_count(claimed_count: Count | None = None) -> CheckResult:
    """numel(M1) + numel(M2) == claimed_count(d1, d2, n); the paper's: 2 d1² n + 2 d1 d2 n."""
    d1, d2, n = sp.symbols("d1 d2 n", positive=True, integer=True)
    m1_shape, m2_shape = (2 * d1 * n, d1), (d2, 2 * d1 * n)
    derived = sp.expand(m1_shape[0] * m1_shape[1] + m2_shape[0] * m2_shape[1])
    claimed = (claimed_count or (lambda d1, d2, n: 2 * d1**2 * n + 2 * d1 * d2 * n))(d1, d2, n)
    difference = sp.simplify(derived - claimed)
    ok = difference == 0
    if ok:
        detail = f"M1 {m1_shape} + M2 {m2_shape}: {derived}; claimed - derived simplifies to 0"
    else:
        at = {d1: 1, d2: 1, n: 1}
        detail = (
            f"derived {derived}, claimed {show(claimed)}: differ by {difference}, e.g. "
            f"{derived.subs(at)} vs {claimed.subs(at)} at d1 = d2 = n = 1"
        )
    return CheckResult(
        name="pensia.lemma3.parameter_count",
        paper=PAPER,
        statement=f"M1 (2 d1 n x d1) and M2 (d2 x 2 d1 n) hold {show(claimed)} parameters",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"claimed": show(claimed)},
    )


def check_lemma3_shared_layer(
    d_in: int = 2, d_out: int = 2, units_per_side: int = 1
) -> CheckResult:
    """Each output of the masked block is the Lemma 2 neuron of its row, with shared M1."""
    proof = layer_identity(d_in, d_out, units_per_side)
    return CheckResult(
        name="pensia.lemma3.shared_layer",
        paper=PAPER,
        statement=(
            f"M2 relu((M1*mask) x)_k == sum_j [P_kj x_j (x_j>=0), N_kj x_j (x_j<0)] for every "
            f"output k, d1 = {d_in}, d2 = {d_out}, n = {units_per_side}, M1 shared"
        ),
        method="symbolic",
        status=status_of(proof.holds),
        detail=(
            f"difference simplifies to 0 for each of {d_out} outputs in all {proof.cells} cells"
            if proof.holds
            else proof.failure
        ),
        config={"d_in": d_in, "d_out": d_out, "units_per_side": units_per_side},
    )
