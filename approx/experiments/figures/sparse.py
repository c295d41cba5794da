"""The figures of scripts/compare_orseau_pensia.py (samples per weight vs 1/eps) and
scripts/reproduce_natale.py (density vs samples per weight, with Natale et al.'s bounds)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from .common import plt


def _finite(rows: list[dict], key: str) -> list[dict]:
    return [r for r in rows if r.get(key) is not None and 0 < r[key] < math.inf]


def plot_samples_per_weight(rows: list[dict], path: str | Path, *, q: float) -> Path:
    """Samples per weight n needed for per-weight error <= eps vs 1/eps, one line per method
    with 95% error bars, and the units each method keeps (dashed, same colour). `rows`: as
    written by scripts/compare_orseau_pensia.py (keys method, eps, n_needed, ci_low, ci_high,
    kept_median)."""
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    colors = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    for (method, pts), color in zip(
        itertools.groupby(rows, key=lambda r: r["method"]), colors, strict=False
    ):
        pts = _finite(list(pts), "n_needed")
        if not pts:
            continue
        x = np.array([1 / r["eps"] for r in pts])
        y = np.array([r["n_needed"] for r in pts])
        lo = np.array([min(r["ci_low"], r["n_needed"]) for r in pts])
        hi = np.array([r["ci_high"] if r["ci_high"] < math.inf else r["n_needed"] for r in pts])
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="o-", color=color, capsize=3, ms=4,
                    label=f"{method}: samples per weight n")  # fmt: skip
        kept = [(1 / r["eps"], r["kept_median"]) for r in pts if r.get("kept_median")]
        if kept:
            ax.plot(*zip(*kept, strict=True), "s--", color=color, ms=3, lw=1,
                    label=f"{method}: units kept (median)")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("1 / eps  (per-weight error)")
    ax.set_ylabel(f"count per target weight ({q:.0%} of weights within eps)")
    ax.set_title("samples per weight: hyperbolic digits vs uniform subset sum")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_density_curve(rows: list[dict], path: str | Path) -> Path:
    """Density gamma = k/n vs the samples n needed (one line per law and success level), with
    Natale et al.'s Theorem 2 (sufficient, c = 1) and Theorem 5 (d = 1, lower) curves. `rows`:
    as written by scripts/reproduce_natale.py (keys series, density, n_needed, upper, lower)."""
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    colors = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    drawn = set()
    for (series, pts), color in zip(
        itertools.groupby(rows, key=lambda r: r["series"]), colors, strict=False
    ):
        pts = list(pts)
        have = _finite(pts, "n_needed")
        if have:
            ax.plot([r["n_needed"] for r in have], [r["density"] for r in have], "o-",
                    color=color, label=f"measured: {series}")  # fmt: skip
        eps = pts[0]["eps"]
        if eps not in drawn:  # the bounds depend on eps only
            grey = str(0.55 * len(drawn))
            gammas = [r["density"] for r in pts]
            upper = f"Theorem 2, c = 1: n H2(k/n) = log2(k/eps), eps = {eps:g}"
            lower = f"Theorem 5, d = 1: n H2(k/n) = log2(k/eps)/2, eps = {eps:g}"
            ax.plot([r["upper"] for r in pts], gammas, ":", color=grey, lw=2, label=upper)
            ax.plot([r["lower"] for r in pts], gammas, "--", color=grey, label=lower)
            drawn.add(eps)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("samples n per target weight (overparameterisation)")
    ax.set_ylabel("density k / n of the subset kept")
    ax.set_title("fixed-size subset sum: density vs samples at fixed eps")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
