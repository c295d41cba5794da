"""What the sweep figures compute from stored rows, kept apart from the drawing: grouping, medians
over seeds, the parameters a target needed, and the width a theorem asks for at each eps.

Rows are the JSON dicts a store keeps (`RunResult.to_json()` for runs), so every plotted point
traces back to one stored row.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..basics.statistics import quantile_interval
from ..constructions import get_construction

FLOOR = 1e-18  # log axes: an exact zero is drawn here


def hidden_width(r: dict) -> int:
    """The random network's widest hidden layer (neurons)."""
    return max(r["random_widths"][1:-1])


def groups(results: list[dict], key) -> dict:
    out: dict = {}
    for r in results:
        out.setdefault(key(r), []).append(r)
    return out


def median_series(rows: list[dict], x, y) -> tuple[list, list]:
    by_x = groups(rows, x)
    xs = sorted(by_x)
    return xs, [float(np.median([max(y(r), FLOOR) for r in by_x[v]])) for v in xs]


def n_params(widths) -> int:
    return sum(a * b for a, b in itertools.pairwise(widths))


def uniform_n(r: dict) -> int | None:
    ns = set(r["n_per_layer"])
    return ns.pop() if len(ns) == 1 else None


def theorem_width_curve(construction: str, widths: tuple[int, ...], delta: float, C: float | None):
    """(hidden widths, eps): the width the construction's theorem asks for at each eps."""
    cons = get_construction(construction)
    C = cons.default_C if C is None else C
    eps = np.logspace(-8, math.log10(0.5), 200)
    ws = [max(cons.random_widths(widths, cons.size(widths, float(e), delta, C))[1:-1]) for e in eps]
    return np.array(ws), eps


def needed_params(rows: list[dict], eps: float, delta: float) -> int | None:
    """Smallest random-net parameter count among `rows` (one target, several n and seeds) at
    which the certified error is ≤ eps in at least (1 − delta) of the seeds; None if none."""
    best = None
    for params, rs in groups(rows, lambda r: r["random_params"]).items():
        ok = sum(r["certified_error"] <= eps for r in rs)
        if ok >= (1 - delta) * len(rs) and (best is None or params < best):
            best = params
    return best


def median_band(rows: list[dict], x, y, level: float = 0.95):
    """(xs, medians, lo, hi): per x, the median over the rows (seeds) and a `level` interval
    for it from order statistics (`quantile_interval`); lo/hi are NaN where the seeds cannot
    bound it (fewer than 6 seeds for 95%)."""
    by_x = groups(rows, x)
    xs = sorted(by_x)
    med, lo, hi = [], [], []
    for v in xs:
        values = [max(y(r), FLOOR) for r in by_x[v]]
        _, a, b = quantile_interval(values, 0.5, level)
        med.append(float(np.median(values)))
        lo.append(a if math.isfinite(a) else math.nan)
        hi.append(b if math.isfinite(b) else math.nan)
    return xs, np.array(med), np.array(lo), np.array(hi)


def theorem_hidden_width(construction: str, widths, eps: float, delta: float, C: float | None):
    """The widest hidden layer of the random net the construction's theorem asks for at
    (eps, delta) with constant C (its default when None)."""
    cons = get_construction(construction)
    C = cons.default_C if C is None else C
    return max(cons.random_widths(tuple(widths), cons.size(tuple(widths), eps, delta, C))[1:-1])


def needed_params_censored(rows: list[dict], eps: float, delta: float) -> tuple[int, str]:
    """`needed_params` with where it sits on the swept grid: ("exact": a larger swept net
    failed, so this is the smallest that works among those tried), ("at most": the smallest
    swept net already works; a smaller one might too), ("beyond": none works; the value is
    the largest swept net, which the need exceeds)."""
    sizes = sorted({r["random_params"] for r in rows})
    best = needed_params(rows, eps, delta)
    if best is None:
        return sizes[-1], "beyond"
    return best, "at most" if best == sizes[0] else "exact"
