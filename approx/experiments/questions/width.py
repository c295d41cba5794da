"""How wide is wide enough, in practice? For each construction, the samples per weight n it
needs at the theorem's δ (`approx.experiments.tightness`: the smallest n at which ≥ (1 − δ) of
the seeds meet ε) beside the n its theorem asks for (its `size` at its default C), over the
target width d, depth l and ε, and how each grows.

The grid varies one factor at a time around a base point (d_0, l_0, ε_0): square targets
d-d-…-d of depth l (l linear maps; `run`'s random targets, every `||W_i||_2 = 1`, scaled into
the construction's class where it needs it), d over `widths` at (l_0, ε_0), l over `depths` at
(d_0, ε_0), ε over the construction's list at (d_0, l_0).

The growth model is the one the theorems' widths have. Where the theorem's n is polynomial in
1/ε (Malach et al.'s `n ∝ ε^-1 log(·)`: `POLYNOMIAL_IN_EPS`),
`ln n = a + α_d ln d + α_l ln l + α_ε ln(1/ε)`; where it is logarithmic (Pensia et al.'s
`C·ln(d² l / min(ε, δ))` and the others'), `ln n = a + α_d ln d + α_l ln l + α_ε ln ln(1/ε)`:
α_ε → 1 for `n ∝ log(1/ε)`. Both the measured n and the theorem's n are fitted with the same
model on the same points, so their exponents compare directly (the theorem's own exponents on
a finite grid are not its asymptotic ones: `ln(d² l/ε)` grows like `d^0.3` near d = 4). Least
squares, 95% intervals from the t distribution of the residuals (None without a residual
degree of freedom). Rows whose n needed is beyond the reach (`n_max`) are left out of the fit
and counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from scipy import stats

from ...basics.errors import InvalidArgument, check_open_unit, check_positive_int
from ...basics.progress import progress_bar
from ...constructions import get_construction
from ...pipeline.plan import random_params
from ..runner import Runner
from ..store import ResultStore
from ..tightness import Tightness, check_row, tightness

POLYNOMIAL_IN_EPS = frozenset({"malach"})
FACTORS = ("d", "l", "eps")


def width_points(
    widths: Sequence[int], depths: Sequence[int], eps: Sequence[float], base: tuple[int, int]
) -> list[tuple[int, int, float]]:
    """(d, l, ε) one factor at a time around (d_0, l_0, ε_0) = (*base, the middle ε), each
    point once, in order."""
    d0, l0 = base
    e0 = sorted(eps)[len(eps) // 2]
    pts = [(d, l0, e0) for d in widths] + [(d0, x, e0) for x in depths]
    pts += [(d0, l0, e) for e in eps]
    return list(dict.fromkeys(pts))


def _row(t: Tightness, d: int, l: int) -> dict:
    cons = get_construction(t.construction)
    finite = math.isfinite(t.n_needed)
    needed = int(t.n_needed) if finite else None
    theorem = max(t.theorem_n)
    shape = t.widths
    return {
        "construction": t.construction,
        "d": d,
        "l": l,
        "eps": t.eps,
        "delta": t.delta,
        "seeds": t.seeds,
        "thresholds": [x if math.isfinite(x) else None for x in t.thresholds],
        "n_needed": needed,
        "n_lo": t.n_lo if math.isfinite(t.n_lo) else None,
        "n_hi": t.n_hi if math.isfinite(t.n_hi) else None,
        "n_max": t.n_max,
        "theorem_n": theorem,
        "C": t.C,
        "ratio": theorem / needed if finite else None,
        "params_needed": random_params(cons, shape, (needed,) * (len(shape) - 1))
        if finite
        else None,
        "params_theorem": random_params(cons, shape, (theorem,) * (len(shape) - 1)),
        "counted_by": t.counted_by,
    }


def width_runs(
    *,
    constructions: Sequence[str],
    widths: Sequence[int],
    depths: Sequence[int],
    eps: Mapping[str, Sequence[float]],
    base: tuple[int, int],
    delta: float,
    seeds: int,
    error: str,
    store: str | Path | None = None,
    workers: int | None = 1,
    progress: bool = True,
) -> list[dict]:
    """One tightness row per (construction, grid point), seeds 0..`seeds`−1 as in `approx
    tightness`; every probe run is kept in `store` (None: memory), so a rerun reuses them.
    Every row's arguments are checked before the first runs."""
    check_open_unit("delta", delta)
    for v in (*widths, *depths, *base):
        check_positive_int("width or depth", v)
    plan = []
    for c in constructions:
        if c not in eps:
            raise InvalidArgument(f"eps={dict(eps)} gives no eps list for {c!r}")
        for d, l, e in width_points(widths, depths, eps[c], base):
            check_row(c, (d,) * (l + 1), e, delta, seeds=seeds, error=error)
            plan.append((c, d, l, e))
    rows = []
    with (
        ResultStore(store) as st,
        Runner(st, workers, progress=False) as runner,
        progress_bar(
            len(plan) * seeds, desc="width in practice", unit="seed", enabled=progress
        ) as bar,
    ):
        for c, d, l, e in plan:
            t = tightness(
                runner, c, (d,) * (l + 1), e, delta, seeds=seeds, error=error,
                settled=bar.update,
            )  # fmt: skip
            rows.append(_row(t, d, l))
    return rows


def ols(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict:
    """Least squares y ≈ x·β (x: (points, k), with its own intercept column): β, standard
    errors and `level` intervals from the t distribution with points − k degrees of freedom
    (standard errors and intervals None without a degree of freedom), R²."""
    n, k = x.shape
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    dof = n - k
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(resid @ resid) / ss_tot if ss_tot > 0 else None
    if dof <= 0:
        none = [None] * k
        return {"beta": beta.tolist(), "se": none, "lo": none, "hi": none, "dof": dof, "r2": r2}
    sigma2 = float(resid @ resid) / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(x.T @ x)))
    t = float(stats.t.ppf(0.5 + level / 2, dof))
    return {
        "beta": beta.tolist(),
        "se": se.tolist(),
        "lo": (beta - t * se).tolist(),
        "hi": (beta + t * se).tolist(),
        "dof": dof,
        "r2": r2,
    }


def eps_regressor(construction: str) -> str:
    """The ε term of the construction's growth model (module docstring)."""
    return "ln(1/eps)" if construction in POLYNOMIAL_IN_EPS else "ln ln(1/eps)"


def growth_fit(rows: Sequence[dict], key: str) -> dict | None:
    """Exponents α_d, α_l, α_ε of `rows[key]` (one construction's rows) in its growth model,
    with 95% intervals; None with fewer than two finite rows."""
    pts = [r for r in rows if r[key] is not None]
    if len(pts) < 2:
        return None
    poly = pts[0]["construction"] in POLYNOMIAL_IN_EPS

    def e_term(e: float) -> float:
        return math.log(1 / e) if poly else math.log(math.log(1 / e))

    x = np.array([[1.0, math.log(r["d"]), math.log(r["l"]), e_term(r["eps"])] for r in pts])
    y = np.log(np.array([float(r[key]) for r in pts]))
    # a factor the finite rows do not vary cannot be fitted: its column is dropped
    keep = [0] + [j for j in range(1, 4) if np.ptp(x[:, j]) > 0]
    fit = ols(x[:, keep], y)
    out = {"rows": len(pts), "dof": fit["dof"], "r2": fit["r2"]}
    for j, name in enumerate(FACTORS, start=1):
        i = keep.index(j) if j in keep else None
        out[name] = {
            part: (None if i is None else fit[part][i]) for part in ("beta", "lo", "hi", "se")
        }
    return out


def width_summary(rows: Sequence[dict]) -> dict:
    """Per construction: its rows, the growth model, the fits of n needed and of the theorem's
    n (`growth_fit`), the rows beyond reach, and the median ratio theorem n / n needed."""
    out = []
    for c in sorted({r["construction"] for r in rows}):
        rs = [r for r in rows if r["construction"] == c]
        ratios = sorted(r["ratio"] for r in rs if r["ratio"] is not None)
        out.append(
            {
                "construction": c,
                "eps_term": eps_regressor(c),
                "rows": rs,
                "beyond_reach": sum(r["n_needed"] is None for r in rs),
                "needed_fit": growth_fit(rs, "n_needed"),
                "theorem_fit": growth_fit(rs, "theorem_n"),
                "ratio_range": [ratios[0], ratios[-1]] if ratios else None,
                "ratio_median": float(np.median(ratios)) if ratios else None,
            }
        )
    return {"groups": out}
