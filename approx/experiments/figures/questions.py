"""The figures of docs/questions.md, drawn from the summaries of `approx.experiments.questions`
(every number plotted is in the summary the scripts also write as JSON)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from ...basics.units import format_widths
from .common import panels, plain_log_ticks, plt, shared_legend

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
BAND_LABEL = "median over seeds, band: 95% interval of the median"
TRIALS_LABEL = "median over trials, band: 95% interval of the median"


def _band(ax, xs, stats, *, label, color, style="o-"):
    """Median line with its 95% interval as a band (an unbounded end: no band there)."""
    ys = [s["median"] if s and s["median"] is not None else math.nan for s in stats]
    lo = [s["lo"] if s and s["lo"] is not None else y for s, y in zip(stats, ys, strict=True)]
    hi = [s["hi"] if s and s["hi"] is not None else y for s, y in zip(stats, ys, strict=True)]
    ax.plot(xs, ys, style, color=color, label=label, ms=4)
    ax.fill_between(xs, lo, hi, color=color, alpha=0.18, lw=0)


def _log_axes(ax, *, x=True):
    if x:
        ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)


# ---- how the error grows with depth ---------------------------------------------------------


def fig_error_vs_depth(summary: dict):
    """One panel per (target family, construction): certified and empirical error vs depth
    (median over seeds with 95% bands) against Σ e_i, (e − 1) Σ e_i (where Σ e_i ≤ 1) and
    Π(1 + e_i) − 1; for random targets also the empirical error relative to the target's
    size."""
    groups = sorted(summary["groups"], key=lambda g: (g["family"], g["construction"]))
    fig, axes = panels(len(groups), cols=2)
    for ax, g in zip(axes, groups, strict=True):
        pts = g["points"]
        xs = [p["depth"] for p in pts]
        _band(ax, xs, [p["certified"] for p in pts], label="certified (upper bound)", color="C0")
        _band(ax, xs, [p["empirical"] for p in pts], label="empirical (lower est.)", color="C1")
        if g["family"] == "random":
            _band(
                ax,
                xs,
                [p["relative_empirical"] for p in pts],
                label="empirical / target size",
                color="C4",
                style="s:",
            )
        for key, label, style in (
            ("sum", "Σ e_i (errors add)", "k--"),
            ("sum_bound", "(e-1) Σ e_i (where every Σ e_i ≤ 1)", "k:"),
            ("product_bound", "Π(1+e_i) - 1", "k-."),
        ):
            ys = [p[key]["median"] if p[key] else math.nan for p in pts]
            ax.plot(xs, ys, style, lw=1.2, label=label)
        if g["family"] == "chain":
            ys = [p["undershoot"]["median"] for p in pts]
            ax.plot(
                xs, ys, "-", color="0.6", lw=2.5, alpha=0.6, label="1 - Π(1-e_i) (all undershoot)"
            )
        _log_axes(ax)
        ax.set_xlabel("target depth l (number of layers)")
        unit = "output units; squares: / target size" if g["family"] == "random" else "output units"
        ax.set_ylabel(f"error sup ||f - g|| on the unit ball ({unit})")
        ax.set_title(f"{g['construction']}, n = {g['n']}, {g['family']} targets")
        ax.legend(fontsize=7)
    fig.suptitle(f"Error vs depth at fixed samples per weight ({BAND_LABEL})", fontsize=10)
    fig.tight_layout()
    return fig


def fig_error_vs_depth_ratios(summary: dict):
    """certified / Σ e_i and empirical / Σ e_i vs depth (for random targets also the
    empirical error relative to the target's size, / Σ e_i), one panel per target family, one
    colour per construction: how much of the first-order sum each error realises."""
    families = sorted({g["family"] for g in summary["groups"]})
    names = sorted({g["construction"] for g in summary["groups"]})
    fig, axes = panels(len(families), cols=2)
    for ax, fam in zip(axes, families, strict=True):
        for g in summary["groups"]:
            if g["family"] != fam:
                continue
            pts, name = g["points"], g["construction"]
            color = COLORS[names.index(name) % len(COLORS)]
            xs = [p["depth"] for p in pts]
            ratios = [p["certified_over_sum"] for p in pts]
            _band(ax, xs, ratios, label=f"{name}: certified / Σ e_i", color=color)
            ratios = [p["empirical_over_sum"] for p in pts]
            _band(ax, xs, ratios, label=f"{name}: empirical / Σ e_i", color=color, style="s--")
            if fam == "random":
                rel = [
                    p["relative_empirical"]["median"] / p["sum"]["median"]
                    if p["sum"]["median"]
                    else math.nan
                    for p in pts
                ]
                ax.plot(xs, rel, "^:", color=color, label=f"{name}: (empirical / size) / Σ e_i")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhline(math.e - 1, color="k", lw=0.8, ls=":")
        _log_axes(ax)
        ax.set_xlabel("target depth l (number of layers)")
        ax.set_ylabel("error / Σ e_i  (dimensionless; dotted: e - 1)")
        ax.set_title(f"{fam} targets ({BAND_LABEL})", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# ---- one big network or many small ones ----------------------------------------------------


def fig_one_vs_many(summary: dict):
    """Three panels, one line per target: (a) the probability that the best of K networks
    holds an ε-ticket (Wilson 95% intervals), (b) the best certified and empirical error of
    the K networks (median, 95% band), both vs K at a fixed total parameter count; (c) the
    precision won, -log2(best certified error), vs samples per weight n/K, with the fitted
    bits per sample."""
    fig, (a, b, c) = panels(3, cols=3)
    for i, g in enumerate(summary["groups"]):
        pts, color = g["points"], COLORS[i % len(COLORS)]
        ks = [p["K"] for p in pts]
        label = f"{g['target']} ({format_widths(g['target_widths'])})"
        y = np.array([p["success"] for p in pts])
        err = [y - [p["success_lo"] for p in pts], [p["success_hi"] for p in pts] - y]
        a.errorbar(ks, y, yerr=err, fmt="o-", color=color, capsize=3, label=label)
        _band(b, ks, [p["best_certified"] for p in pts], label=f"{label}: certified", color=color)
        _band(
            b,
            ks,
            [p["best_empirical"] for p in pts],
            label=f"{label}: empirical",
            color=color,
            style="s--",
        )
        ns = [p["n"] for p in pts]
        bits = [-math.log2(p["best_certified"]["median"]) for p in pts]
        slope = g["bits_per_sample"]
        fit = "" if slope is None else f", fit {slope:.2f} bits per sample"
        c.plot(ns, bits, "o-", color=color, label=f"{label}{fit}")
        if i == 0:  # the count's prediction: one bit per usable sample, through K = 1
            c.plot(ns, [bits[0] - (ns[0] - n) for n in ns], "k--", lw=1, label="1 bit per sample")
    eps = summary["groups"][0]["eps"]
    a.set_xscale("log", base=2)
    a.set_ylim(-0.03, 1.03)
    a.set_ylabel(f"P(best of K holds a ticket within eps = {eps:g})")
    a.set_title("(a) an eps-ticket exists (certified)")
    _log_axes(b)
    b.axhline(eps, color="k", lw=0.8, ls=":")
    b.set_ylabel("best error of the K networks (output units)")
    b.set_title(f"(b) best error ({TRIALS_LABEL})", fontsize=9)
    for ax in (a, b):
        ax.set_xlabel("K networks sharing the parameter budget P (each P/K)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    c.set_xlabel("samples per weight in each network, n/K")
    c.set_ylabel("-log2(median best certified error)  (bits)")
    c.set_title("(c) precision vs samples per weight (dashed: 2^(n/K) subset sums)", fontsize=9)
    c.grid(True, alpha=0.3)
    c.legend(fontsize=7)
    fig.tight_layout()
    return fig


# ---- depth separation -------------------------------------------------------------------------

_SEPARATION_LINES = (
    ("deep", "certified", "deep (Pensia, depth 2(l+1)): certified", "C0", "o-"),
    ("deep", "segment", "deep: max on the segment grid", "C0", "s--"),
    ("shallow", "greedy", "depth 2: greedy subnetwork (exact sup)", "C3", "x-"),
    ("shallow", "lp_lower_bound", "depth 2: lower bound, any subnetwork", "C3", "v:"),
)


def fig_separation_error(summary: dict):
    """One panel per depth l: relative error on the segment vs random parameters, deep
    construction vs depth-2 random network (median over seeds, 95% bands); shaded: widths at
    which every depth-2 subnetwork is at least 1/2 off (too few linear pieces)."""
    ls = sorted({c["l"] for c in summary["curves"]})
    fig, axes = panels(len(ls), cols=3)
    for ax, l in zip(axes, ls, strict=True):
        left = math.inf
        for side, key, label, color, style in _SEPARATION_LINES:
            curve = next((c for c in summary["curves"] if c["side"] == side and c["l"] == l), None)
            if curve:
                xs = [p["params"] for p in curve["points"]]
                left = min(left, *xs)
                _band(
                    ax, xs, [p[key] for p in curve["points"]], label=label, color=color, style=style
                )
        need = next(n for n in summary["needed"] if n["l"] == l)
        ax.axvspan(
            left / 2,
            need["pieces_bound"],
            color="C3",
            alpha=0.08,
            label="< 2^l - 1 units: any depth-2 net >= 1/2",
        )
        ax.axhline(summary["level"], color="k", lw=0.8, ls=":")
        _log_axes(ax, x=False)
        ax.set_xscale("log")
        ax.set_xlim(left / 2, None)
        ax.set_ylim(1e-5, 30)
        ax.set_xlabel("parameters of the random network")
        ax.set_ylabel("relative error sup|f - g| / range of f on x in [0, 1]")
        ax.set_title(f"sawtooth t^l, l = {l} ({2**l} pieces)")
        ax.legend(fontsize=6)
    fig.suptitle(f"Deep vs shallow random networks ({BAND_LABEL})", fontsize=10)
    fig.tight_layout()
    return fig


def fig_separation_needed(summary: dict):
    """Parameters needed for relative error ≤ level vs l: the deep construction (certified:
    enough; segment grid), the depth-2 random network's lower bound (with fewer, no
    subnetwork of it gets there), and 3(2^l − 1), below which no depth-2 network of any
    weights gets within 1/2. An open triangle: the lower bound was not reached up to the
    largest depth-2 network tried, so it needs more than that."""
    need = summary["needed"]
    ls = [n["l"] for n in need]
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for side, key, label, color, style in _SEPARATION_LINES:
        if (side, key) == ("shallow", "greedy"):
            continue  # it reaches the level nowhere we tried (the tables say so)
        got = [(n["l"], n[f"{side}_{key}"]) for n in need if n.get(f"{side}_{key}")]
        miss = [
            (n["l"], n[f"{side}_max_params"])
            for n in need
            if f"{side}_{key}" in n and not n[f"{side}_{key}"]
        ]
        if got:
            ax.plot(*zip(*got, strict=True), style, color=color, label=label)
        if miss:
            ax.plot(
                *zip(*miss, strict=True),
                "^",
                color=color,
                mfc="none",
                ms=10,
                label=f"{label}: more than this",
            )
    ax.plot(
        ls,
        [n["pieces_bound"] for n in need],
        "k-",
        lw=1.5,
        label="3(2^l - 1): any depth-2 net, any weights",
    )
    ax.set_yscale("log")
    ax.set_xticks(ls)
    ax.set_xlabel("sawtooth depth l (2^l linear pieces; target depth l + 1)")
    ax.set_ylabel(f"random parameters for relative error <= {summary['level']:g} (median)")
    ax.set_title("Parameters needed: deep construction vs depth-2 random network")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# ---- how wide is wide enough ------------------------------------------------------------------

_MARKERS = ("o", "s", "^", "D", "v", "x")
_WIDTH_PANELS = (
    ("d", "target width d (d-d-...-d)"),
    ("l", "target depth l (linear maps)"),
    ("eps", "1 / eps"),
)


def fig_width_in_practice(summary: dict):
    """Three panels, one factor each (d, l, 1/ε; the others at the base point): per
    construction, the n needed at the theorem's δ (marker, with its 95% order-statistic
    interval; an open triangle at the reach where it is beyond it) and the theorem's n (dashed,
    same colour). Log-log axes; the fitted exponents are in the summary's table."""
    fig, axes = panels(3, cols=3, legend_rows=3)
    ticks: dict[str, set] = {f: set() for f, _ in _WIDTH_PANELS}
    for k, g in enumerate(summary["groups"]):
        color, marker = COLORS[k % len(COLORS)], _MARKERS[k % len(_MARKERS)]
        rows = g["rows"]
        for ax, (factor, _) in zip(axes, _WIDTH_PANELS, strict=True):
            others = [f for f in ("d", "l", "eps") if f != factor]
            base = {f: _mode([r[f] for r in rows]) for f in others}
            pts = sorted(
                (r for r in rows if all(r[f] == base[f] for f in others)), key=lambda r: r[factor]
            )
            if len(pts) < 2:
                continue
            xs = [1 / r["eps"] if factor == "eps" else r[factor] for r in pts]
            ticks[factor].update(xs)
            got = [(x, r) for x, r in zip(xs, pts, strict=True) if r["n_needed"] is not None]
            if got:
                gx = [x for x, _ in got]
                ys = [r["n_needed"] for _, r in got]
                lo = [y - (r["n_lo"] or y) for y, (_, r) in zip(ys, got, strict=True)]
                hi = [(r["n_hi"] or y) - y for y, (_, r) in zip(ys, got, strict=True)]
                ax.errorbar(gx, ys, yerr=[lo, hi], fmt=f"{marker}-", color=color, ms=4,
                            capsize=2, label=g["construction"])  # fmt: skip
            miss = [(x, r["n_max"]) for x, r in zip(xs, pts, strict=True) if r["n_needed"] is None]
            if miss:
                ax.plot(*zip(*miss, strict=True), "^", color=color, mfc="none", ms=8,
                        label="beyond reach (n_max)")  # fmt: skip
            ax.plot(xs, [r["theorem_n"] for r in pts], "--", color=color, lw=1)
    for ax, (factor, label) in zip(axes, _WIDTH_PANELS, strict=True):
        _log_axes(ax)
        xs = sorted(ticks[factor])
        ax.set_xticks(xs, _spaced_labels(xs))
        ax.xaxis.set_minor_formatter(NullFormatter())
        plain_log_ticks(ax.yaxis)
        ax.set_xlabel(label)
    axes[0].set_ylabel("samples per weight n (log)")
    delta = summary["groups"][0]["rows"][0]["delta"] if summary["groups"] else math.nan
    shared_legend(
        fig,
        [
            (Line2D([], [], color="k", marker="o", ms=4),
             f"n needed (>= {1 - delta:.0%} of seeds meet eps; bars: 95% interval)"),
            (Line2D([], [], color="k", ls="--", lw=1), "the theorem's n (its default C)"),
        ],
        cols=4,
    )  # fmt: skip
    return fig


def _spaced_labels(xs: list[float]) -> list[str]:
    """Tick labels for sorted log-axis positions, blank where a label would crowd the last one
    shown (closer than a factor 1.8)."""
    out, last = [], None
    for x in xs:
        show = last is None or x / last >= 1.8
        out.append(f"{x:.3g}" if show else "")
        last = x if show else last
    return out


def _mode(values: list):
    """The most common value (the base point of a one-factor-at-a-time grid)."""
    return max(set(values), key=values.count)
