"""Sweep figures. Each reads the JSON dicts a store keeps — `RunResult.to_json()` for runs,
`CoefficientSuccess.to_json()` for the subset-sum Monte Carlo — so every plotted point traces
back to one stored row; what they compute lives in `approx.experiments.analysis`.

Every figure is at most a page wide, has one legend below its panels, marks ε and the theorem's
width where they apply, shades a 95% interval of the median wherever there are enough seeds,
notes in the legend what falls outside the axes, and marks values censored by the swept grid.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from matplotlib.lines import Line2D

from ...basics.statistics import wilson_interval
from ...basics.units import format_widths
from ...constructions import get_construction
from ...measurement.bounds import packing_lower_bound_params
from ..analysis import (
    groups,
    hidden_width,
    median_band,
    n_params,
    needed_params_censored,
    theorem_hidden_width,
    theorem_width_curve,
    uniform_n,
)
from .common import (
    SHORT_ERROR_LABEL,
    band_entry,
    bottom_xlabels,
    note,
    panels,
    plain_log_ticks,
    plt,
    shared_legend,
    styled,
)

_ERRORS = (
    ("certified_error", "-", "o", "certified (upper bound)"),
    ("empirical_error", "--", "x", "empirical (lower estimate)"),
)


def _median_with_band(ax, rows, x, field, style, marker, color, label):
    """Median over seeds as a line, its 95% interval shaded; seeds as faint dots."""
    ax.scatter([x(r) for r in rows], [max(r[field], 1e-18) for r in rows], color=color,
               marker=marker, alpha=0.25, s=6, linewidths=0.5)  # fmt: skip
    xs, med, lo, hi = median_band(rows, x, lambda r: r[field])
    ax.plot(xs, med, style, color=color, marker=marker, label=label)
    if np.isfinite(lo).any():
        ax.fill_between(xs, lo, hi, color=color, alpha=0.15, linewidth=0)


def _eps_line(ax, rows) -> None:
    for eps in sorted({r["eps"] for r in rows if "eps" in r}):
        ax.axhline(eps, color="k", ls="--", lw=0.8, label=f"eps = {eps:g} (the runs' target)")


def _theorem_marks(ax, name, shape, rs, color, C, lim, outside: dict) -> None:
    """The theorem's width at the runs' eps (a vertical line) and its width-for-error curve,
    each only where it falls inside the plotted widths; widths outside go to `outside`
    ((name, eps, C) -> widths), which the legend notes."""
    delta = rs[0]["delta"]
    c = get_construction(name).default_C if C is None else C
    for eps in sorted({r["eps"] for r in rs if "eps" in r}):
        w = theorem_hidden_width(name, shape, eps, delta, c)
        if lim[0] <= w <= lim[1]:
            label = f"{name}: theorem's width at eps (C={c:g}, delta={delta:g})"
            ax.axvline(w, color=color, ls="-.", lw=1, label=label)
        else:
            outside.setdefault((name, eps, c), []).append(w)
    ws, eps_curve = theorem_width_curve(name, shape, delta, c)
    keep = (ws >= lim[0]) & (ws <= lim[1])
    if keep.any():
        ax.plot(ws[keep], eps_curve[keep], ":", color=color, lw=1.5,
                label=f"{name}: theorem's width for error eps (C={c:g})")  # fmt: skip


def _outside_notes(outside: dict) -> list[tuple]:
    notes = []
    for (name, eps, c), ws in sorted(outside.items()):
        span = f"{min(ws):,}" if min(ws) == max(ws) else f"{min(ws):,} to {max(ws):,}"
        notes.append(note(f"not shown: {name}'s theorem's width at eps={eps:g}, C={c:g}: "
                          f"{span} neurons, outside the axes"))  # fmt: skip
    return notes


@styled
def fig_error_vs_width(results: list[dict], C: float | None = None):
    """Certified (upper bound) and empirical (lower estimate) error against the random net's
    hidden width, log-log, one panel per target shape; medians over seeds with a 95% band,
    seeds as dots; ε as a dashed line; the theorem's width at ε (vertical) and its predicted
    curve — the width its formula asks for to reach error ε w.p. ≥ 1 − δ (the rows' δ,
    constant C) — where they fall inside the axes, noted in the legend where not. Needs >= 2
    widths for some shape."""
    shapes = {
        s: rs
        for s, rs in groups(results, lambda r: tuple(r["target_widths"])).items()
        if len({hidden_width(r) for r in rs}) >= 2
    }
    if not shapes:
        raise ValueError("no target shape has runs at two or more random-net widths")
    fig, axes = panels(len(shapes), legend_rows=6)
    outside: dict = {}
    for ax, (shape, rows) in zip(axes, sorted(shapes.items()), strict=True):
        lim = (0.8 * min(map(hidden_width, rows)), 1.25 * max(map(hidden_width, rows)))
        for i, (name, rs) in enumerate(sorted(groups(rows, lambda r: r["construction"]).items())):
            for field, line, marker, what in _ERRORS:
                _median_with_band(ax, rs, hidden_width, field, line, marker, f"C{i}",
                                  f"{name}: {what}")  # fmt: skip
            _theorem_marks(ax, name, shape, rs, f"C{i}", C, lim, outside)
        _eps_line(ax, rows)
        ax.set_xlim(*lim)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log_ticks(ax.xaxis)
        ax.set_title(f"target {format_widths(shape)}")
        ax.grid(True, which="major", alpha=0.3)
    bottom_xlabels(axes, "random-net hidden width (neurons)")
    fig.supylabel(SHORT_ERROR_LABEL)
    fig.suptitle("error vs width (median over seeds)")
    shared_legend(fig, [band_entry(), *_outside_notes(outside)])
    return fig


def _depth_panels(results: list[dict], max_lines: int) -> dict:
    panels_: dict = {}
    for k, rs in groups(results, lambda r: (r["construction"], max(r["target_widths"]))).items():
        by_n = {
            n: g
            for n, g in groups(rs, uniform_n).items()
            if n is not None and len({r["target_depth"] for r in g}) >= 2
        }
        if by_n:
            ns = sorted(by_n)
            if len(ns) > max_lines:
                ns = [ns[round(i * (len(ns) - 1) / (max_lines - 1))] for i in range(max_lines)]
            panels_[k] = {n: by_n[n] for n in ns}
    return panels_


@styled
def fig_error_vs_depth(results: list[dict], max_lines: int = 6):
    """Certified (solid) and empirical (dashed) error against target depth l at fixed samples
    per weight n, i.e. at a fixed width factor (random-net hidden width / target width), one
    panel per (construction, target width), one colour per n (at most `max_lines`, evenly
    spread), medians over seeds with a 95% band, ε dashed; log error axis (errors compound with
    depth). Needs >= 2 depths for some (construction, width, n)."""
    by_panel = _depth_panels(results, max_lines)
    if not by_panel:
        raise ValueError("no (construction, width, n) group has runs at two or more depths")
    fig, axes = panels(len(by_panel), legend_rows=4, sharey=True)
    cmap = plt.get_cmap("viridis")
    for ax, ((name, d), by_n) in zip(axes, sorted(by_panel.items()), strict=True):
        for i, (n, rs) in enumerate(by_n.items()):
            color = cmap(i / max(1, len(by_n) - 1))
            factor = hidden_width(rs[0]) / d
            for field, line, marker, _ in _ERRORS:
                label = f"n={n}: hidden width {factor:g} x target's" if line == "-" else None
                _median_with_band(ax, rs, lambda r: r["target_depth"], field, line, marker,
                                  color, label)  # fmt: skip
        _eps_line(ax, [r for rs in by_n.values() for r in rs])
        ax.set_yscale("log")
        ax.set_title(f"{name}, target width {d}")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, which="major", alpha=0.3)
    bottom_xlabels(axes, "target depth l (linear maps)")
    fig.supylabel(SHORT_ERROR_LABEL)
    styles = [(Line2D([], [], color="k", ls=ls, marker=m), what) for _, ls, m, what in _ERRORS]
    fig.suptitle("error vs depth at a fixed width factor (median over seeds)")
    shared_legend(fig, [*styles, band_entry()])
    return fig


# What n counts in each coefficient distribution of the subset-sum Monte Carlo.
_DISTRIBUTIONS = {
    "uniform": "uniform: n coefficients ~ U[-1,1]",
    "product": "product: n products of two U[-1,1]",
    "pensia": "pensia: 2n products a·b, ~n usable (a > 0)",
}


@styled
def fig_success_vs_n(mc: list[dict]):
    """Subset-sum Monte Carlo: P(optimal error ≤ ε) against samples per weight n, per
    coefficient distribution (the legend says what n counts in each) and ε, counts pooled over
    seeds, Wilson 95% intervals; and the failure probability on a log axis (it decays
    exponentially in n). A point with no failure shows only its Wilson upper bound (▽)."""
    if not mc:
        raise ValueError("no subset-sum Monte Carlo rows")
    fig, (ax_s, ax_f) = panels(2, legend_rows=3)
    censored = False
    for i, ((dist, eps), rows) in enumerate(
        sorted(groups(mc, lambda r: (r["distribution"], r["eps"])).items())
    ):
        by_n = groups(rows, lambda r: r["n"])
        ns = np.array(sorted(by_n))
        k = np.array([sum(r["successes"] for r in by_n[n]) for n in ns])
        t = np.array([sum(r["trials"] for r in by_n[n]) for n in ns])
        lo, hi = np.array([wilson_interval(int(a), int(b)) for a, b in zip(k, t, strict=True)]).T
        p = k / t
        one_eps = len({r["eps"] for r in mc}) == 1
        label = _DISTRIBUTIONS.get(dist, dist) + ("" if one_eps else f", eps={eps:g}")
        ax_s.errorbar(ns, p, yerr=[p - lo, hi - p], marker="o", capsize=2, color=f"C{i}",
                      label=label)  # fmt: skip
        fail, f_lo, f_hi = 1 - p, 1 - hi, 1 - lo
        pos = fail > 0
        ax_f.errorbar(ns[pos], fail[pos], yerr=[fail[pos] - f_lo[pos], f_hi[pos] - fail[pos]],
                      marker="o", capsize=2, color=f"C{i}")  # fmt: skip
        if (~pos).any():
            censored = True
            ax_f.scatter(ns[~pos], f_hi[~pos], marker="v", facecolors="none",
                         edgecolors=f"C{i}")  # fmt: skip
    ax_s.set_ylim(-0.02, 1.02)
    ax_s.set_ylabel("P(error <= eps)")
    ax_s.set_title("success")
    ax_f.set_yscale("log")
    ax_f.set_ylabel("P(error > eps)")
    ax_f.set_title("failure (log scale)")
    for ax in (ax_s, ax_f):
        ax.set_xlabel("samples per weight n")
        ax.grid(True, which="major", alpha=0.3)
    eps_all = sorted({r["eps"] for r in mc})
    at = f" <= eps = {eps_all[0]:g}" if len(eps_all) == 1 else " <= eps"
    fig.suptitle(
        f"optimal random subset sum{at}: fraction of targets z ~ U[-1,1] (Wilson 95% intervals)"
    )
    extra = [note("v: no failure seen; Wilson upper end (censored)")] if censored else []
    shared_legend(fig, extra)
    return fig


_CENSOR_MARKS = {"exact": "o", "at most": "v", "beyond": "^"}


@styled
def fig_params_vs_eps(results: list[dict], C: float | None = None):
    """Random-net parameters needed against ε (log-log), per target shape: measured (smallest
    swept net whose certified error is ≤ ε in ≥ 1 − δ of its seeds; ▽ where the smallest swept
    net already works, △ at the largest where none works: censored by the grid), the
    construction's theorem (constant C), and the packing lower bound
    Σ_i d_i d_{i-1} log2(1/(2ε)) − 1 (Pensia et al. 2020, Theorem 2), for ε across the
    observed certified errors."""
    shapes = {
        s: rs
        for s, rs in groups(results, lambda r: tuple(r["target_widths"])).items()
        if len({r["random_params"] for r in rs}) >= 2
    }
    if not shapes:
        raise ValueError("no target shape has runs at two or more random-net sizes")
    fig, axes = panels(len(shapes), legend_rows=4)
    for ax, (shape, rows) in zip(axes, sorted(shapes.items()), strict=True):
        errs = [r["certified_error"] for r in rows if 0 < r["certified_error"] < 0.5]
        if not errs:
            ax.set_title(f"target {format_widths(shape)}: no certified error below 0.5")
            continue
        eps = np.logspace(math.log10(min(errs)), math.log10(max(errs)), 16)
        for i, (name, rs) in enumerate(sorted(groups(rows, lambda r: r["construction"]).items())):
            _params_series(ax, name, shape, rs, eps, f"C{i}", C)
        lower = [
            sum(max(0.0, packing_lower_bound_params(b, a, float(e)))
                for a, b in itertools.pairwise(shape))
            for e in eps
        ]  # fmt: skip
        ax.plot(eps, lower, "k--", label="lower bound  sum d_i d_{i-1} log2(1/(2 eps)) - 1")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"target {format_widths(shape)}")
        ax.grid(True, which="major", alpha=0.3)
    bottom_xlabels(axes, "eps (target error, absolute)")
    fig.supylabel("random-net parameters (weights before pruning, count)")
    fig.suptitle("parameters needed vs eps")
    marks = [
        (Line2D([], [], color="k", ls="none", marker="v", mfc="none"),
         "censored: the smallest swept net works (need <= this)"),
        (Line2D([], [], color="k", ls="none", marker="^", mfc="none"),
         "censored: no swept net works (need > the largest, drawn)"),
    ]  # fmt: skip
    shared_legend(fig, marks)
    return fig


def _params_series(ax, name, shape, rs, eps, color, C) -> None:
    delta = rs[0]["delta"]
    measured = [needed_params_censored(rs, float(e), delta) for e in eps]
    # the line joins only values the grid resolves (exact, or at most the smallest size); an
    # eps no swept net reaches gets a lone marker at the largest size
    line = [m if k != "beyond" else np.nan for m, k in measured]
    ax.plot(eps, line, "-", color=color,
            label=f"{name}: measured (certified <= eps in >= {1 - delta:g} of seeds)")  # fmt: skip
    for kind, marker in _CENSOR_MARKS.items():
        pts = [(e, m) for e, (m, k) in zip(eps, measured, strict=True) if k == kind]
        if pts:
            face = color if kind == "exact" else "none"
            ax.scatter(*zip(*pts, strict=True), marker=marker, facecolors=face,
                       edgecolors=color, s=14, zorder=3)  # fmt: skip
    cons = get_construction(name)
    c = cons.default_C if C is None else C
    theorem = [
        n_params(cons.random_widths(shape, cons.size(shape, float(e), delta, c))) for e in eps
    ]
    ax.plot(eps, theorem, ":", color=color, lw=1.5, label=f"{name}: theorem (C={c:g})")
