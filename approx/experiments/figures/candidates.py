"""The figure of scripts/compare_malach_pensia.py: candidates per weight needed vs 1/eps."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from ...basics.files import write_atomic
from .common import COLUMN_WIDTH, PAGE_WIDTH, plt, shared_legend, style


def plot_candidates_vs_eps(
    rows: list[dict],
    fits: list[dict],
    path: str | Path,
    *,
    q: float = 0.9,
    style_name: str = "default",
) -> Path:
    """Candidates per weight needed for per-weight error <= eps vs 1/eps, log-log, one line
    per (method, targets) with its 95% interval as error bars, the single best product's
    prediction dashed, the fitted exponent in the legend; a point the method never reached
    within its cap (`n_needed` inf: censored) is an open triangle at the cap, and an interval
    whose upper end is censored stops at the cap with a caret. `rows`, `fits`: as written by
    scripts/compare_malach_pensia.py (keys method, targets, eps, n_needed, ci_low, ci_high,
    predicted, cap; method, targets, alpha). A page wide, one legend below."""
    with style(style_name):
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, COLUMN_WIDTH + 1.2), layout="constrained")
        alphas = {(f["method"], f["targets"]): f["alpha"] for f in fits}
        keys = list(dict.fromkeys((r["method"], r["targets"]) for r in rows))
        colors = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
        censored = False
        for (method, targets), color in zip(keys, colors, strict=False):
            series = [r for r in rows if (r["method"], r["targets"]) == (method, targets)]
            censored |= _series(ax, series, color, method, targets, alphas)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("1 / eps")
        ax.set_ylabel(f"candidates per weight, error <= eps\nin {q:.0%} of weights")
        ax.set_title("single best product vs subset sum (dashed: predicted from the product law)")
        ax.grid(True, which="major", alpha=0.3)
        extra = []
        if censored:
            marker = Line2D([], [], color="k", ls="none", marker="^", mfc="none")
            extra.append((marker, "censored: not reached within the cap (drawn at the cap)"))
        shared_legend(fig, extra)
        path = Path(path)
        write_atomic(  # complete or absent
            path, lambda tmp: fig.savefig(tmp, dpi=150, bbox_inches="tight", pad_inches=0.02)
        )
        plt.close(fig)
    return path


def _series(ax, series, color, method, targets, alphas) -> bool:
    """One (method, targets) line; True if it has censored points."""
    pts = [r for r in series if 0 < r["n_needed"] < math.inf]
    cut = [r for r in series if r["n_needed"] == math.inf and r.get("cap")]
    if pts:
        x = np.array([1 / r["eps"] for r in pts])
        y = np.array([r["n_needed"] for r in pts])
        lo = np.array([r["ci_low"] if r["ci_low"] > 0 else r["n_needed"] for r in pts])
        cap = np.array([r.get("cap") or r["n_needed"] for r in pts], dtype=float)
        hi = np.array([min(r["ci_high"], c) for r, c in zip(pts, cap, strict=True)])
        alpha = alphas.get((method, targets))
        label = f"{method}, {targets}" + ("" if alpha is None else f"  (alpha = {alpha:.2f})")
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o-", color=color, capsize=2, label=label)
        open_top = np.array([r["ci_high"] == math.inf for r in pts])
        if open_top.any():
            ax.scatter(x[open_top], hi[open_top], marker="^", color=color, s=12)
        pred = [(1 / r["eps"], r["predicted"]) for r in pts if r.get("predicted")]
        if pred:
            px, py = zip(*pred, strict=True)
            ax.plot(px, py, "--", color=color, lw=1, alpha=0.8)
    if cut:
        ax.scatter([1 / r["eps"] for r in cut], [r["cap"] for r in cut], marker="^",
                   facecolors="none", edgecolors=color, s=24)  # fmt: skip
    return bool(cut)
