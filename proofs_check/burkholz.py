"""The steps of the depth-(l+1) construction (approx.constructions.burkholz) and of its certified
bound (approx.measurement.certified.certified_error_copies). Burkholz 2022 (arXiv 2205.02321)
is the construction's source; these lemmas are the project's own derivation of it (the paper's
proofs were not available to us), each checked with a deliberately wrong variant rejected:

- leaky_half_lines: `P φ(h) − N φ(−h) = (P + αN) h⁺ − (N + αP) h⁻` for φ = leaky ReLU(α), so
  both sign subsets must target `w / (1 + α)`; targeting w (one code path for relu and lrelu in
  the authors' `Utils/pruning.py`) realises `(1 + α) w`.
- smooth_remainder: `|tanh t − t| ≤ |t|³/3` and `|σ(t) − ½ − t/4| ≤ |t|³/48` for all real t,
  with the best constants (the limits at 0); a smaller constant is rejected.
- cube_norm: `Σ_j x_j⁶ ≤ (Σ_j x_j²)³`, so the first layer's remainder is at most `||tau||_2` on
  the unit ball; `≤ max_j |x_j|⁶` (a sup-norm slip) is rejected.
- copies_propagation: `||Σ_r C_r δ_r|| ≤ min(Σ_r ||C_r|| ||δ_r||, ||[C_1 … C_ρ]|| (Σ ||δ_r||²)^½)`;
  `||Σ_r C_r|| max_r ||δ_r||` (as if all copies erred alike) is rejected.
- first_layer_products: a·b with a ~ U[0, 2], b ~ U[−1, 1] (the authors' first-layer range)
  has density ¼ ln(2/|z|) and contains U[−1, 1] with weight ln 2 / 2 — so every target in
  [−1, 1] is reachable; with a ~ U[0, 1] the density vanishes at |z| = 1 and the weight is 0.
- parameter_count: the layout's parameter count, quadratic in the samples per weight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp
import torch

from approx.constructions.burkholz import burkholz_random_params

from ._cases import ALL_SIGNS, NONNEG, cells, prove_identity, prove_nonnegative, relu, show
from .result import CheckResult, status_of

PAPER = "Burkholz 2022 (arXiv 2205.02321), depth-(l+1) construction (our derivation)"


def check_leaky_half_lines(claimed_target: Callable | None = None) -> CheckResult:
    """With P = N = claimed_target(w, α) the units realise `w·h` for every h; ours:
    `w / (1 + α)`. Proven by sign cells of h, α ≥ 0 symbolic."""
    w, h, P, N = sp.symbols("w h P N", real=True)
    alpha = sp.Symbol("alpha", nonnegative=True)

    def phi(t):
        return relu(t) - alpha * relu(-t)  # leaky ReLU, slope alpha on t < 0

    split = P * phi(h) - N * phi(-h) - ((P + alpha * N) * relu(h) - (N + alpha * P) * relu(-h))
    identity = prove_identity(split, cells({h: ALL_SIGNS}))
    target = (claimed_target or (lambda w, a: w / (1 + a)))(w, alpha)
    realised = target * phi(h) - target * phi(-h) - w * h
    exact = prove_identity(realised, cells({h: ALL_SIGNS, alpha: (1,)}))
    ok = identity.holds and exact.holds
    detail = (
        f"P phi(h) - N phi(-h) = (P + alpha N) h+ - (N + alpha P) h-: "
        f"{'proven' if identity.holds else identity.failure} in {identity.cells} cells; "
        f"P = N = {show(target)} realises w*h: "
        f"{'proven' if exact.holds else exact.failure}"
    )
    return CheckResult(
        name="burkholz.leaky_half_lines",
        paper=PAPER,
        statement=f"leaky ReLU first layer: both sign subsets at {show(target)} realise w*h",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"target": show(target)},
    )


def _remainder(name: str) -> tuple[sp.Symbol, sp.Expr]:
    """`φ(t) − φ(0) − φ'(0) t` for tanh or sigmoid."""
    t = sp.Symbol("t", real=True)
    if name == "tanh":
        return t, sp.tanh(t) - t
    return t, 1 / (1 + sp.exp(-t)) - sp.Rational(1, 2) - t / 4


def check_smooth_remainder(name: str, claimed_K: sp.Expr | None = None) -> CheckResult:
    """`|r(t)| ≤ K |t|³` for all real t, r the remainder of `name` (tanh: ours K = 1/3;
    sigmoid: 1/48).

    Proof (tanh): `d/dt (t − tanh t) = tanh² t ≥ 0`, so `0 ≤ tanh t ≤ t` for t ≥ 0; then
    `d/dt (K t³ − t + tanh t) = 3K t² − tanh² t ≥ (3K − 1) t² ≥ 0` when K ≥ 1/3, and both vanish
    at 0; r is odd. Sigmoid: `σ(t) − ½ − t/4 = (tanh(t/2) − t/2)/2`, so K = (1/3)(1/8)/2 = 1/48.
    sympy checks the two derivative identities, the sigmoid identity and the limit
    `lim_{t→0} |r(t)|/|t|³` (the smallest valid K); a K below it is false near 0. A grid of
    2001 points in [−20, 20] is evaluated as a cross-check."""
    t, r = _remainder(name)
    best = {"tanh": sp.Rational(1, 3), "sigmoid": sp.Rational(1, 48)}[name]
    K = sp.sympify(best if claimed_K is None else claimed_K)
    limit = sp.limit(sp.Abs(r) / sp.Abs(t) ** 3, t, 0)
    facts = [
        sp.simplify(sp.diff(t - sp.tanh(t), t) - sp.tanh(t) ** 2) == 0,
        sp.simplify(sp.diff(t**3 / 3 - t + sp.tanh(t), t) - (t**2 - sp.tanh(t) ** 2)) == 0,
    ]
    if name == "sigmoid":
        as_tanh = (sp.tanh(t / 2) - t / 2) / 2
        facts.append(sp.simplify((r - as_tanh).rewrite(sp.exp)) == 0)
    grid = np.linspace(-20, 20, 2001)
    rf = sp.lambdify(t, r, "numpy")
    on_grid = bool(np.all(np.abs(rf(grid)) <= float(K) * np.abs(grid) ** 3 + 1e-15))
    ok = all(facts) and bool(K >= limit) and on_grid
    detail = (
        f"lim |r(t)|/|t|^3 = {limit} (the smallest K); claimed K = {K}: "
        f"{'>= the limit' if K >= limit else 'below the limit, false near t = 0'}; derivative "
        f"identities {'hold' if all(facts) else 'FAIL'}; grid [-20, 20]: "
        f"{'holds' if on_grid else 'violated'}"
    )
    return CheckResult(
        name=f"burkholz.smooth_remainder.{name}",
        paper=PAPER,
        statement=f"|{name}(t) - linear part| <= {K} |t|^3 for all real t",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"activation": name, "K": str(K), "best": str(limit)},
    )


def check_cube_norm(dims: Sequence[int] = (1, 2, 3), claimed_rhs: Callable | None = None):
    """`claimed_rhs(y) − Σ_j y_j³ ≥ 0` for y_j = x_j² ≥ 0; ours: `(Σ_j y_j)³`, i.e.
    `||(|x_j|³)_j||_2 ≤ ||x||_2³`. Proven by cells on y ≥ 0, for each d in `dims`."""
    rhs = claimed_rhs or (lambda ys: sum(ys) ** 3)
    failures, total = [], 0
    for d in dims:
        ys = sp.symbols(f"y0:{d}", real=True)
        proof = prove_nonnegative(
            rhs(ys) - sum(y**3 for y in ys), cells(dict.fromkeys(ys, NONNEG), order_magnitudes=True)
        )
        total += proof.cells
        if not proof.holds:
            failures.append(f"d = {d}: {proof.failure}")
    ok = not failures
    sample = sp.symbols("y0:2", real=True)
    detail = f"proven in {total} cells, d in {tuple(dims)}" if ok else "; ".join(failures)
    return CheckResult(
        name="burkholz.cube_norm",
        paper=PAPER,
        statement=f"sum_j x_j^6 <= {show(rhs(sample))} with y_j = x_j^2 (d = 2 shown)",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"dims": tuple(dims), "rhs_d2": show(rhs(sample))},
    )


def _propagation_bound(Cs: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """Ours: `min(Σ_r ||C_r|| ||δ_r||, ||[C_1 … C_ρ]|| (Σ_r ||δ_r||²)^½)`; `Cs` `(ρ, m, d)`."""
    each = torch.linalg.matrix_norm(Cs, ord=2)
    norms = deltas.norm(dim=1)
    cat = torch.linalg.matrix_norm(Cs.permute(1, 0, 2).reshape(Cs.shape[1], -1), ord=2)
    return torch.minimum((each * norms).sum(), cat * norms.square().sum().sqrt())


def _as_if_alike(Cs: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
    """The wrong bound: `||Σ_r C_r|| max_r ||δ_r||`."""
    return torch.linalg.matrix_norm(Cs.sum(0), ord=2) * deltas.norm(dim=1).max()


def check_copies_propagation(
    bound: Callable | None = None, trials: int = 2000, seed: int = 0
) -> CheckResult:
    """`||Σ_r C_r δ_r|| ≤ bound(C, δ)`; ours `_propagation_bound` (triangle inequality; and
    Cauchy–Schwarz on the stacked `[C_1 … C_ρ] (δ_1; …; δ_ρ)`). An inequality, so one violation
    refutes it: checked on `trials` random instances (ρ, shapes 1–4, Gaussian entries) and on
    the copies erring in opposite directions, `C_1 = [[1]], C_2 = [[−1]], δ = (1, −1)`."""
    bound = bound or _propagation_bound
    g = torch.Generator().manual_seed(seed)
    worst, where = -float("inf"), None
    cases = [(torch.tensor([[[1.0]], [[-1.0]]], dtype=torch.float64),
              torch.tensor([[1.0], [-1.0]], dtype=torch.float64))]  # fmt: skip
    for _ in range(trials):
        rho, m, d = (int(v) for v in torch.randint(1, 5, (3,), generator=g))
        Cs = torch.randn(rho, m, d, generator=g, dtype=torch.float64)
        cases.append((Cs, torch.randn(rho, d, generator=g, dtype=torch.float64)))
    for Cs, deltas in cases:
        lhs = float(torch.einsum("rmd,rd->m", Cs, deltas).norm())
        excess = lhs - float(bound(Cs, deltas)) * (1 + 1e-12)
        if excess > worst:
            worst, where = excess, (tuple(Cs.shape), round(lhs, 6))
    ok = worst <= 0
    detail = (
        f"{len(cases)} instances (incl. opposite copies), largest lhs - bound = {worst:.3g}"
        + ("" if ok else f" at shape {where[0]} (lhs {where[1]}): the bound is false")
    )
    return CheckResult(
        name="burkholz.copies_propagation",
        paper=PAPER,
        statement="||sum_r C_r delta_r|| <= " + (bound.__doc__ or "bound").split("\n")[0],
        method="monte carlo",
        status=status_of(ok),
        detail=detail,
        config={"trials": trials, "seed": seed},
    )


def check_first_layer_products(a_max: sp.Expr = 2, claimed_weight: sp.Expr | None = None):
    """a ~ U[0, a_max], b ~ U[−1, 1]: ab has density `(1/(2 a_max)) ln(a_max/|z|)` on
    [−a_max, a_max]; it contains U[−1, 1] (density ½) with weight `m = 2 inf_{|z|≤1} ρ`
    (ours: a_max = 2, m = ln 2 / 2). Passes iff claimed_weight (default: the derived m) is ≤ m
    and m > 0, i.e. every target in [−1, 1] is a mixture component."""
    z, x = sp.Symbol("z", positive=True), sp.Symbol("x", positive=True)
    a_max = sp.sympify(a_max)
    rho = sp.integrate(1 / a_max * sp.Rational(1, 2) / x, (x, z, a_max))  # x >= |z|
    rho = sp.simplify(rho)
    decreasing = bool(sp.simplify(sp.diff(rho, z)).is_negative)
    m = sp.simplify(2 * rho.subs(z, 1)) if a_max >= 1 else sp.Integer(0)
    claimed = m if claimed_weight is None else sp.sympify(claimed_weight)
    ok = decreasing and bool(m > 0) and bool(claimed <= m)
    detail = (
        f"density {rho} at |z| (decreasing: {decreasing}); m = 2 rho(1) = {m} = {float(m):.4f}; "
        f"claimed {claimed}: {'valid' if bool(claimed <= m) else 'too large'}"
        + ("" if bool(m > 0) else "; m = 0: targets near ±1 are not covered")
    )
    return CheckResult(
        name=f"burkholz.first_layer_products.a{a_max}",
        paper=PAPER,
        statement=f"a~U[0,{a_max}], b~U[-1,1]: ab contains U[-1,1] with weight {claimed} > 0",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"a_max": str(a_max), "claimed": str(claimed), "best": str(m)},
    )


def check_parameter_count(claimed: Callable | None = None) -> CheckResult:
    """`burkholz_random_params` against the closed form (depth 3, symbols), ours:
    `2n_1(d_0+1)(d_0+1) + 2n_1(d_0+1) n_2(d_1+1) + n_2(d_1+1) n_3(d_2+1) + n_3(d_2+1) d_3`
    (the first term counts the first layer's weights and biases), evaluated on 64 integer
    points; quadratic in n, where Pensia's layout is linear."""
    d = sp.symbols("d0:4", positive=True, integer=True)
    n = sp.symbols("n1:4", positive=True, integer=True)
    h1, h2, h3 = 2 * n[0] * (d[0] + 1), n[1] * (d[1] + 1), n[2] * (d[2] + 1)
    ours = h1 * (d[0] + 1) + h1 * h2 + h2 * h3 + h3 * d[3]
    formula = ours if claimed is None else claimed(d, n)
    rng = np.random.default_rng(0)
    bad = []
    for _ in range(64):
        dv, nv = rng.integers(1, 9, 4), rng.integers(1, 9, 3)
        values = {
            **dict(zip(d, dv.tolist(), strict=True)),
            **dict(zip(n, nv.tolist(), strict=True)),
        }
        want = int(formula.subs(values))
        got = burkholz_random_params(tuple(dv.tolist()), tuple(nv.tolist()))
        if got != want:
            bad.append((tuple(dv.tolist()), tuple(nv.tolist()), got, want))
    ok = not bad
    detail = "64 random shapes agree" if ok else f"{len(bad)} of 64 differ, e.g. {bad[0]}"
    return CheckResult(
        name="burkholz.parameter_count",
        paper=PAPER,
        statement=f"random parameters (depth 3) = {show(sp.expand(formula))}",
        method="symbolic",
        status=status_of(ok),
        detail=detail,
        config={"formula": show(formula)},
    )
