"""The figure of `approx compare`: error against kept parameters, one curve per method (its
budgets), the constructions' points, and the theorem's lower bound on parameters."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from ...basics.units import format_widths
from ...measurement.bounds import packing_lower_bound_params
from .common import (
    LEGEND_HEIGHT,
    PAGE_WIDTH,
    PANEL_HEIGHT,
    SHORT_ERROR_LABEL,
    bottom_xlabels,
    plt,
    shared_legend,
    style,
    styled,
)

_REFERENCES = ("empty masks", "planted ticket")


def _lower_bound_curve(widths: list[int], smallest: float) -> tuple[np.ndarray, np.ndarray]:
    """(parameters, eps): Pensia et al.'s Theorem 2 count summed over layers, for eps from
    `smallest` (at least 1e-12) to 0.45 (the count needs eps < 1/2)."""
    eps = np.logspace(np.log10(max(smallest, 1e-12)), np.log10(0.45), 60)
    params = [
        sum(packing_lower_bound_params(b, a, float(e)) for a, b in itertools.pairwise(widths))
        for e in eps
    ]
    return np.array(params), eps


def _key(b: dict) -> tuple:
    return (b["target"], tuple(b["target_widths"]), tuple(b["random_widths"]), b["planted"])


@styled
def fig_error_vs_params(benchmarks: list[dict]):
    """Empirical error (lower estimate, filled) and certified bound (hollow, where the masks
    allow one) against kept parameters, log-log, one panel per (target, random network,
    planted or not), a page wide with one legend below. A method's curve joins its budgets
    (medians over the benchmarks of the panel, e.g. seeds); masks over the random net solid,
    trained networks dashed; the constructions as stars; the empty mask's error dotted; the
    lower bound on the random network's size grey. Raises ValueError without rows."""
    if not any(b["rows"] for b in benchmarks):
        raise ValueError("no compare rows")
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for b in benchmarks:
        groups[_key(b)].append(b)
    cols = min(len(groups), 2)
    rows = -(-len(groups) // cols)
    # a page wide even for one panel: its legend (a dozen or more entries) needs the width
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(PAGE_WIDTH, PANEL_HEIGHT * 1.3 * rows + LEGEND_HEIGHT * 7),
        squeeze=False,
        layout="constrained",
    )
    flat = list(axes.flat)
    for ax in flat[len(groups) :]:
        ax.set_visible(False)
    for ax, key in zip(flat, sorted(groups, key=str), strict=False):
        _panel(ax, groups[key])
    bottom_xlabels(flat[: len(groups)], "parameters kept (masks) or nonzero (trained)")
    fig.supylabel(SHORT_ERROR_LABEL)
    shared_legend(fig)
    return fig


def _constructions(ax, rows: list[dict], colors) -> None:
    """Each construction's points: empirical error filled, certified bound hollow."""
    for name in sorted({r["method"] for r in rows if r["method"].startswith("construction")}):
        cons = [r for r in rows if r["method"] == name]
        short = name.removeprefix("construction (").removesuffix(")")
        color = next(colors)
        ax.scatter(
            [r["kept"] for r in cons],
            [r["empirical_error"] for r in cons],
            marker="*",
            s=70,
            color=color,
            label=f"{short}: empirical",
            zorder=5,
        )
        cert = [r for r in cons if r["certified_error"] is not None]
        ax.scatter(
            [r["kept"] for r in cert],
            [r["certified_error"] for r in cert],
            marker="*",
            s=70,
            facecolors="none",
            edgecolors=color,
            label=f"{short}: certified",
            zorder=5,
        )


def _panel(ax, benchmarks: list[dict]) -> None:
    rows = [r for b in benchmarks for r in b["rows"]]
    colors = itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    curves: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, str] = {}
    for r in rows:
        if r["method"] in _REFERENCES or r["method"].startswith("construction"):
            continue
        curves[r["method"]][r["budget"]].append(r)
        kinds[r["method"]] = r["kind"]
    for method, color in zip(sorted(curves), colors, strict=False):
        pts = sorted(
            (
                statistics.median(max(r["kept"], 1) for r in rs),
                statistics.median(r["empirical_error"] for r in rs),
            )
            for rs in curves[method].values()
        )
        x, y = zip(*pts, strict=True)
        ls = "--" if kinds[method] == "trained" else "-"
        ax.plot(x, y, ls, marker="o", color=color, label=f"{method} ({kinds[method]})")
    _constructions(ax, rows, colors)
    planted = [r for r in rows if r["method"] == "planted ticket"]
    if planted:
        ax.scatter(
            [r["kept"] for r in planted],
            [max(r["empirical_error"], 1e-16) for r in planted],
            marker="D",
            color="k",
            label="planted ticket (>= 1e-16)",
            zorder=5,
        )
    empty = [r["empirical_error"] for r in rows if r["method"] == "empty masks"]
    if empty:
        ax.axhline(
            statistics.median(empty), color="0.5", ls=":", label="empty mask (zero function)"
        )
    b0 = benchmarks[0]
    errors = [r["empirical_error"] for r in rows if r["empirical_error"] > 1e-12]
    params, eps = _lower_bound_curve(list(b0["target_widths"]), min(errors, default=0.01) / 10)
    ax.plot(
        params,
        eps,
        color="0.6",
        lw=2,
        alpha=0.7,
        label="Pensia Thm 2: net size for eps",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_title(
        f"{b0['target']} {format_widths(b0['target_widths'])} in "
        f"{format_widths(b0['random_widths'])}"
        + (", planted" if b0["planted"] else "")
        + f" ({len(benchmarks)} run{'s' if len(benchmarks) > 1 else ''})"
    )
    ax.grid(True, which="both", alpha=0.3)


def plot_benchmarks(
    benchmarks: list[dict], path: str | Path, *, style_name: str = "default"
) -> Path:
    """`fig_error_vs_params` of `approx compare` JSON objects, written to `path`."""
    with style(style_name):
        fig = fig_error_vs_params(benchmarks)
        path = Path(path)
        fig.savefig(path, dpi=150, bbox_inches="tight", pad_inches=0.02)
        plt.close(fig)
    return path
