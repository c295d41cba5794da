"""The figure of scripts/compare_malach_pensia.py: candidates per weight needed vs 1/eps."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from ...basics.files import write_atomic
from .common import plt


def plot_candidates_vs_eps(
    rows: list[dict], fits: list[dict], path: str | Path, *, q: float = 0.9
) -> Path:
    """Candidates per weight needed for per-weight error <= eps vs 1/eps, log-log, one line
    per (method, targets) with its 95% interval as error bars, the single best product's
    prediction dashed, the fitted exponent in the legend. `rows`, `fits`: as written by
    scripts/compare_malach_pensia.py (keys method, targets, eps, n_needed, ci_low, ci_high,
    predicted; method, targets, alpha)."""
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    alphas = {(f["method"], f["targets"]): f["alpha"] for f in fits}
    keys = list(dict.fromkeys((r["method"], r["targets"]) for r in rows))
    colors = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    for (method, targets), color in zip(keys, colors, strict=False):
        pts = [
            r
            for r in rows
            if (r["method"], r["targets"]) == (method, targets) and 0 < r["n_needed"] < math.inf
        ]
        if not pts:
            continue
        x = np.array([1 / r["eps"] for r in pts])
        y = np.array([r["n_needed"] for r in pts])
        lo = np.array([r["ci_low"] if r["ci_low"] > 0 else r["n_needed"] for r in pts])
        hi = np.array([r["ci_high"] if r["ci_high"] < math.inf else r["n_needed"] for r in pts])
        alpha = alphas.get((method, targets))
        label = f"{method}, {targets}" + ("" if alpha is None else f"  (alpha = {alpha:.2f})")
        ax.errorbar(
            x, y, yerr=[y - lo, hi - y], fmt="o-", color=color, capsize=3, label=label, ms=4
        )
        pred = [(1 / r["eps"], r["predicted"]) for r in pts if r.get("predicted")]
        if pred:
            px, py = zip(*pred, strict=True)
            ax.plot(px, py, "--", color=color, lw=1, alpha=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 / eps")
    ax.set_ylabel(f"candidates per weight for error <= eps in {q:.0%} of weights")
    ax.set_title("single best product vs subset sum (dashed: predicted from the product law)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=120))  # complete or absent
    plt.close(fig)
    return path
