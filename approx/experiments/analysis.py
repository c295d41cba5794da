"""What the sweep figures compute from stored rows, kept apart from the drawing: grouping, medians
over seeds, the parameters a target needed, and the width a theorem asks for at each eps.

Rows are the JSON dicts a store keeps (`RunResult.to_json()` for runs), so every plotted point
traces back to one stored row.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

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
