"""Sweep figures. Each reads the JSON dicts a store keeps — `RunResult.to_json()` for runs,
`CoefficientSuccess.to_json()` for the subset-sum Monte Carlo — so every plotted point traces
back to one stored row; what they compute lives in `approx.experiments.analysis`."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ...basics.statistics import wilson_interval
from ...constructions import get_construction
from ...measurement.bounds import packing_lower_bound_params
from ..analysis import (
    FLOOR,
    groups,
    hidden_width,
    median_series,
    n_params,
    needed_params,
    theorem_width_curve,
    uniform_n,
)
from .common import ERROR_LABEL, panels, plt


def fig_error_vs_width(results: list[dict], C: float | None = None):
    """Certified (upper bound) and empirical (lower estimate) error against the random net's
    hidden width, log-log, one panel per target shape, medians over seeds (seeds as dots), with
    the theorem's predicted curve: the width its formula asks for to reach error ε (w.p.
    ≥ 1 − δ, the rows' δ, constant C). Needs >= 2 widths for some shape."""
    shapes = {
        s: rs
        for s, rs in groups(results, lambda r: tuple(r["target_widths"])).items()
        if len({hidden_width(r) for r in rs}) >= 2
    }
    if not shapes:
        raise ValueError("no target shape has runs at two or more random-net widths")
    fig, axes = panels(len(shapes))
    for ax, (shape, rows) in zip(axes, sorted(shapes.items()), strict=True):
        for i, (name, rs) in enumerate(sorted(groups(rows, lambda r: r["construction"]).items())):
            color = f"C{i}"
            for field, style, marker, what in (
                ("certified_error", "-", "o", "certified (upper bound)"),
                ("empirical_error", "--", "x", "empirical (lower estimate)"),
            ):
                ax.scatter(
                    [hidden_width(r) for r in rs],
                    [max(r[field], FLOOR) for r in rs],
                    color=color,
                    marker=marker,
                    alpha=0.3,
                    s=12,
                )
                xs, ys = median_series(rs, hidden_width, lambda r, f=field: r[f])
                ax.plot(xs, ys, style, color=color, marker=marker, label=f"{name}: {what}")
            delta = rs[0]["delta"]
            c = get_construction(name).default_C if C is None else C
            ws, eps = theorem_width_curve(name, shape, delta, c)
            lim = (0.5 * min(hidden_width(r) for r in rs), 2 * max(hidden_width(r) for r in rs))
            keep = (ws >= lim[0]) & (ws <= lim[1])
            ax.plot(
                ws[keep],
                eps[keep],
                ":",
                color=color,
                lw=2,
                label=f"{name}: theorem's width for error eps (C={c:g}, delta={delta:g})",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("random-net hidden width (neurons in its widest hidden layer)")
        ax.set_ylabel(ERROR_LABEL)
        ax.set_title(f"target {'-'.join(map(str, shape))}: error vs width (median over seeds)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def fig_error_vs_depth(results: list[dict], max_lines: int = 6):
    """Certified (solid) and empirical (dashed) error against target depth l at fixed samples
    per weight n, i.e. at a fixed width factor (random-net hidden width / target width), one
    panel per (construction, target width), one colour per n (at most `max_lines`, evenly
    spread), medians over seeds; log error axis (errors compound with depth). Needs >= 2
    depths for some (construction, width, n)."""

    def key(r):
        return (r["construction"], max(r["target_widths"]))

    panels = {}
    for k, rs in groups(results, key).items():
        by_n = {
            n: g
            for n, g in groups(rs, uniform_n).items()
            if n is not None and len({r["target_depth"] for r in g}) >= 2
        }
        if by_n:
            ns = sorted(by_n)
            if len(ns) > max_lines:
                ns = [ns[round(i * (len(ns) - 1) / (max_lines - 1))] for i in range(max_lines)]
            panels[k] = {n: by_n[n] for n in ns}
    if not panels:
        raise ValueError("no (construction, width, n) group has runs at two or more depths")
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.5 * len(panels), 4.5), squeeze=False, sharey=True
    )
    for ax, ((name, d), by_n) in zip(axes[0], sorted(panels.items()), strict=True):
        cmap = plt.get_cmap("viridis")
        for i, (n, rs) in enumerate(by_n.items()):
            color = cmap(i / max(1, len(by_n) - 1))
            factor = hidden_width(rs[0]) / d
            for field, style, marker in (
                ("certified_error", "-", "o"),
                ("empirical_error", "--", "x"),
            ):
                xs, ys = median_series(rs, lambda r: r["target_depth"], lambda r, f=field: r[f])
                label = f"n={n} (width factor {factor:g})" if field == "certified_error" else None
                ax.plot(xs, ys, style, marker=marker, color=color, label=label)
        ax.plot([], [], "k-o", label="certified (upper bound)")
        ax.plot([], [], "k--x", label="empirical (lower estimate)")
        ax.set_yscale("log")
        ax.set_xlabel("target depth l (linear maps)")
        ax.set_title(f"{name}, target width {d}: error vs depth", fontsize=10)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(ERROR_LABEL)
    fig.suptitle("error vs depth at fixed width factor (median over seeds)", fontsize=10)
    fig.tight_layout()
    return fig


def fig_success_vs_n(mc: list[dict]):
    """Subset-sum Monte Carlo: P(optimal error ≤ ε) against samples per weight n, per
    coefficient distribution and ε, counts pooled over seeds, Wilson 95% intervals; and the
    failure probability on a log axis (it decays exponentially in n). A point with no failure
    shows only its Wilson upper bound (a downward triangle)."""
    if not mc:
        raise ValueError("no subset-sum Monte Carlo rows")
    fig, (ax_s, ax_f) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, ((dist, eps), rows) in enumerate(
        sorted(groups(mc, lambda r: (r["distribution"], r["eps"])).items())
    ):
        by_n = groups(rows, lambda r: r["n"])
        ns = sorted(by_n)
        k = np.array([sum(r["successes"] for r in by_n[n]) for n in ns])
        t = np.array([sum(r["trials"] for r in by_n[n]) for n in ns])
        lo, hi = np.array([wilson_interval(int(a), int(b)) for a, b in zip(k, t, strict=True)]).T
        p = k / t
        label = f"{dist}, eps={eps:g}"
        ax_s.errorbar(
            ns, p, yerr=[p - lo, hi - p], marker="o", capsize=3, color=f"C{i}", label=label
        )
        fail, f_lo, f_hi = 1 - p, 1 - hi, 1 - lo
        pos = fail > 0
        ns_arr = np.array(ns)
        ax_f.errorbar(
            ns_arr[pos],
            fail[pos],
            yerr=[fail[pos] - f_lo[pos], f_hi[pos] - fail[pos]],
            marker="o",
            capsize=3,
            color=f"C{i}",
            label=label,
        )
        ax_f.scatter(ns_arr[~pos], f_hi[~pos], marker="v", color=f"C{i}")
    ax_s.set_ylim(-0.02, 1.02)
    ax_s.set_ylabel("P(optimal subset-sum error <= eps)  (fraction of targets)")
    ax_f.set_yscale("log")
    ax_f.set_ylabel("P(optimal error > eps)  (fraction of targets)")
    for ax in (ax_s, ax_f):
        ax.set_xlabel("samples per weight n (coefficients per target)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        "random subset sum, targets z ~ U[-1,1], Wilson 95% intervals (v: upper end where no "
        "failure was seen)\nuniform: U[-1,1];  product: U[-1,1]·U[-1,1];  "
        "pensia: 2n products a·b, only a > 0 usable",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def fig_params_vs_eps(results: list[dict], C: float | None = None):
    """Random-net parameters needed against ε (log-log), per target shape: measured (smallest
    swept net whose certified error is ≤ ε in ≥ 1 − δ of its seeds), the construction's
    theorem (constant C), and the packing lower bound Σ_i d_i d_{i-1} log2(1/(2ε)) − 1
    (Pensia et al. 2020, Theorem 2), for ε across the observed certified errors."""

    shapes = {
        s: rs
        for s, rs in groups(results, lambda r: tuple(r["target_widths"])).items()
        if len({r["random_params"] for r in rs}) >= 2
    }
    if not shapes:
        raise ValueError("no target shape has runs at two or more random-net sizes")
    fig, axes = panels(len(shapes))
    for ax, (shape, rows) in zip(axes, sorted(shapes.items()), strict=True):
        errs = [r["certified_error"] for r in rows if 0 < r["certified_error"] < 0.5]
        if not errs:
            continue
        eps = np.logspace(math.log10(min(errs)), math.log10(max(errs)), 16)
        for i, (name, rs) in enumerate(sorted(groups(rows, lambda r: r["construction"]).items())):
            delta = rs[0]["delta"]
            measured = [needed_params(rs, float(e), delta) for e in eps]
            have = [(e, m) for e, m in zip(eps, measured, strict=True) if m is not None]
            if have:
                ax.plot(
                    *zip(*have, strict=True),
                    "-o",
                    color=f"C{i}",
                    label=f"{name}: measured (certified <= eps in >= {1 - delta:g} of seeds)",
                )
            cons = get_construction(name)
            c = cons.default_C if C is None else C
            theorem = [
                n_params(cons.random_widths(shape, cons.size(shape, float(e), delta, c)))
                for e in eps
            ]
            ax.plot(eps, theorem, ":", color=f"C{i}", lw=2, label=f"{name}: theorem (C={c:g})")
        lower = [
            sum(
                max(0.0, packing_lower_bound_params(b, a, float(e)))
                for a, b in itertools.pairwise(shape)
            )
            for e in eps
        ]
        ax.plot(eps, lower, "k--", label="lower bound  sum d_i d_{i-1} log2(1/(2 eps)) - 1")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("eps (target error, absolute)")
        ax.set_ylabel("random-net parameters (weights before pruning, count)")
        ax.set_title(f"target {'-'.join(map(str, shape))}: parameters needed vs eps")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
