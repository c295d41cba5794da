"""Figures. The only module that imports matplotlib (with the non-interactive Agg backend)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from .bounds import packing_lower_bound_params
from .constructions import get_construction
from .errors import InvalidArgument
from .run import RunResult


def plot_run(result: RunResult, path: str | Path) -> Path:
    """Per-weight errors of each layer (histogram, log scale) beside the certified and
    empirical network errors, both against eps. Needs `result.artifacts`."""
    if result.artifacts is None:
        raise ValueError("result has no artifacts (tensors) to plot")
    target, pruned = result.artifacts.target, result.artifacts.pruned
    fig, (ax_w, ax_e) = plt.subplots(1, 2, figsize=(11, 4))
    floor = 1e-18
    all_errs = []
    for i, (lay, w) in enumerate(zip(pruned.layers, target.weights, strict=True), start=1):
        errs = torch.cat([(lay.P - w).flatten(), (lay.N - w).flatten()]).abs().double()
        all_errs.append(errs.clamp_min(floor).log10().cpu())
        ax_w.hist(all_errs[-1].numpy(), bins=40, histtype="step", label=f"layer {i}")
    ax_w.axvline(torch.log10(torch.tensor(result.eps)).item(), color="k", ls="--", label="eps")
    ax_w.set_xlabel("log10 |w_hat - w|  (per-weight subset-sum error)")
    ax_w.set_ylabel("number of weights (both half-lines)")
    ax_w.set_title("per-weight error")
    ax_w.legend()

    names = ["max per-weight", "empirical (>=)", "certified (<=)"]
    values = [result.max_weight_error, result.empirical_error, result.certified_error]
    ax_e.bar(names, [max(v, floor) for v in values], color=["0.6", "tab:blue", "tab:red"])
    ax_e.axhline(result.eps, color="k", ls="--", label=f"eps = {result.eps:g}")
    ax_e.set_yscale("log")
    ax_e.set_ylabel("sup over ||x|| <= 1 of ||f(x) - g(x)||_2")
    ax_e.set_title("network error")
    ax_e.legend()
    widths = "-".join(map(str, result.target_widths))
    fig.suptitle(
        f"{result.construction}: target {widths}, n = {list(result.n_per_layer)}, "
        f"seed {result.seed}"
    )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# Sweep figures (issue 4). Each reads the JSON dicts a store keeps — `RunResult.to_json()` for
# runs, `CoefficientSuccess.to_json()` for the subset-sum Monte Carlo — so every plotted point
# traces back to one stored row. `plot_store` draws every figure the store's data supports.

ERROR_LABEL = "error  sup$_{\\|x\\|_2\\leq 1}$ $\\|f(x)-g(x)\\|_2$  (absolute, output units)"
FLOOR = 1e-18  # log axes: an exact zero is drawn here


def _hidden_width(r: dict) -> int:
    """The random network's widest hidden layer (neurons)."""
    return max(r["random_widths"][1:-1])


def _groups(results: list[dict], key) -> dict:
    out: dict = {}
    for r in results:
        out.setdefault(key(r), []).append(r)
    return out


def _median_series(rows: list[dict], x, y) -> tuple[list, list]:
    by_x = _groups(rows, x)
    xs = sorted(by_x)
    return xs, [float(np.median([max(y(r), FLOOR) for r in by_x[v]])) for v in xs]


def _n_params(widths) -> int:
    return sum(a * b for a, b in itertools.pairwise(widths))


def _uniform_n(r: dict) -> int | None:
    ns = set(r["n_per_layer"])
    return ns.pop() if len(ns) == 1 else None


def _save(fig, out_dir: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    paths = []
    for fmt in formats:
        p = Path(out_dir) / f"{stem}.{fmt}"
        fig.savefig(p, dpi=150 if fmt == "png" else None, bbox_inches="tight")
        paths.append(p)
    plt.close(fig)
    return paths


def _panels(k: int, cols: int = 3):
    """A figure with k panels, at most `cols` per row; the unused ones hidden."""
    rows = -(-k // cols)
    fig, axes = plt.subplots(
        rows, min(k, cols), figsize=(6 * min(k, cols), 4.5 * rows), squeeze=False
    )
    flat = list(axes.flat)
    for ax in flat[k:]:
        ax.set_visible(False)
    return fig, flat[:k]


def _theorem_width_curve(construction: str, widths: tuple[int, ...], delta: float, C: float | None):
    """(hidden widths, eps): the width the construction's theorem asks for at each eps."""

    cons = get_construction(construction)
    C = cons.default_C if C is None else C
    eps = np.logspace(-8, math.log10(0.5), 200)
    ws = [max(cons.random_widths(widths, cons.size(widths, float(e), delta, C))[1:-1]) for e in eps]
    return np.array(ws), eps


def fig_error_vs_width(results: list[dict], C: float | None = None):
    """Certified (upper bound) and empirical (lower estimate) error against the random net's
    hidden width, log-log, one panel per target shape, medians over seeds (seeds as dots), with
    the theorem's predicted curve: the width its formula asks for to reach error ε (w.p.
    ≥ 1 − δ, the rows' δ, constant C). Needs >= 2 widths for some shape."""
    shapes = {
        s: rs
        for s, rs in _groups(results, lambda r: tuple(r["target_widths"])).items()
        if len({_hidden_width(r) for r in rs}) >= 2
    }
    if not shapes:
        raise ValueError("no target shape has runs at two or more random-net widths")
    fig, axes = _panels(len(shapes))
    for ax, (shape, rows) in zip(axes, sorted(shapes.items()), strict=True):
        for i, (name, rs) in enumerate(sorted(_groups(rows, lambda r: r["construction"]).items())):
            color = f"C{i}"
            for field, style, marker, what in (
                ("certified_error", "-", "o", "certified (upper bound)"),
                ("empirical_error", "--", "x", "empirical (lower estimate)"),
            ):
                ax.scatter(
                    [_hidden_width(r) for r in rs],
                    [max(r[field], FLOOR) for r in rs],
                    color=color,
                    marker=marker,
                    alpha=0.3,
                    s=12,
                )
                xs, ys = _median_series(rs, _hidden_width, lambda r, f=field: r[f])
                ax.plot(xs, ys, style, color=color, marker=marker, label=f"{name}: {what}")
            delta = rs[0]["delta"]
            c = get_construction(name).default_C if C is None else C
            ws, eps = _theorem_width_curve(name, shape, delta, c)
            lim = (0.5 * min(_hidden_width(r) for r in rs), 2 * max(_hidden_width(r) for r in rs))
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
    for k, rs in _groups(results, key).items():
        by_n = {
            n: g
            for n, g in _groups(rs, _uniform_n).items()
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
            factor = _hidden_width(rs[0]) / d
            for field, style, marker in (
                ("certified_error", "-", "o"),
                ("empirical_error", "--", "x"),
            ):
                xs, ys = _median_series(rs, lambda r: r["target_depth"], lambda r, f=field: r[f])
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
    from .tightness import wilson_interval

    if not mc:
        raise ValueError("no subset-sum Monte Carlo rows")
    fig, (ax_s, ax_f) = plt.subplots(1, 2, figsize=(12, 4.5))
    for i, ((dist, eps), rows) in enumerate(
        sorted(_groups(mc, lambda r: (r["distribution"], r["eps"])).items())
    ):
        by_n = _groups(rows, lambda r: r["n"])
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


def needed_params(rows: list[dict], eps: float, delta: float) -> int | None:
    """Smallest random-net parameter count among `rows` (one target, several n and seeds) at
    which the certified error is ≤ eps in at least (1 − delta) of the seeds; None if none."""
    best = None
    for params, rs in _groups(rows, lambda r: r["random_params"]).items():
        ok = sum(r["certified_error"] <= eps for r in rs)
        if ok >= (1 - delta) * len(rs) and (best is None or params < best):
            best = params
    return best


def fig_params_vs_eps(results: list[dict], C: float | None = None):
    """Random-net parameters needed against ε (log-log), per target shape: measured (smallest
    swept net whose certified error is ≤ ε in ≥ 1 − δ of its seeds), the construction's
    theorem (constant C), and the packing lower bound Σ_i d_i d_{i-1} log2(1/(2ε)) − 1
    (Pensia et al. 2020, Theorem 2), for ε across the observed certified errors."""

    shapes = {
        s: rs
        for s, rs in _groups(results, lambda r: tuple(r["target_widths"])).items()
        if len({r["random_params"] for r in rs}) >= 2
    }
    if not shapes:
        raise ValueError("no target shape has runs at two or more random-net sizes")
    fig, axes = _panels(len(shapes))
    for ax, (shape, rows) in zip(axes, sorted(shapes.items()), strict=True):
        errs = [r["certified_error"] for r in rows if 0 < r["certified_error"] < 0.5]
        if not errs:
            continue
        eps = np.logspace(math.log10(min(errs)), math.log10(max(errs)), 16)
        for i, (name, rs) in enumerate(sorted(_groups(rows, lambda r: r["construction"]).items())):
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
                _n_params(cons.random_widths(shape, cons.size(shape, float(e), delta, c)))
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


def plot_store(
    store: str | Path, out_dir: str | Path, formats: tuple[str, ...] = ("png", "pdf")
) -> tuple[list[Path], list[str]]:
    """Every figure the store's rows support, written to `out_dir` in each of `formats`.
    Returns (files written, "figure: why skipped" notes)."""
    from .store import load_rows

    formats = tuple(formats)
    bad = [f for f in formats if f not in ("png", "pdf", "svg")]
    if bad or not formats:
        raise InvalidArgument(f"formats={list(formats)}: each must be png, pdf or svg")
    rows = load_rows(store)
    runs = [r.result for r in rows if r.kind == "run" and r.status == "ok"]
    mc = [r.result for r in rows if r.kind == "subset_sum" and r.status == "ok"]
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidArgument(f"out={str(out_dir)!r} exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    for stem, make, data in (
        ("error_vs_width", fig_error_vs_width, runs),
        ("error_vs_depth", fig_error_vs_depth, runs),
        ("success_vs_n", fig_success_vs_n, mc),
        ("params_vs_eps", fig_params_vs_eps, runs),
    ):
        try:
            fig = make(data)
        except ValueError as e:
            skipped.append(f"{stem}: {e}")
            continue
        written += _save(fig, out_dir, stem, formats)
    return written, skipped


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
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
