"""The figure of da Cunha et al.'s CNN experiment: error vs samples per weight n, ours beside
their published MNIST points, and the construction's certified and empirical errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...basics.errors import InvalidArgument
from ...basics.files import write_atomic
from ..published import DACUNHA_CNN_MNIST_OUTPUT_ERROR, DACUNHA_CNN_MNIST_WEIGHT_ERROR
from .common import PAGE_WIDTH, PANEL_HEIGHT, plt, shared_legend, style

FLOOR = 1e-18  # a zero error drawn on a log axis


def plot_dacunha_cnn(
    experiment: Sequence[dict],
    construction: Sequence[dict] = (),
    path: str | Path = "dacunha_cnn.png",
    *,
    style_name: str = "default",
) -> Path:
    """`fig_dacunha_cnn` written to `path` atomically (complete or absent); returns the path."""
    with style(style_name):
        fig = fig_dacunha_cnn(experiment, construction)
        path = Path(path)
        write_atomic(
            path, lambda tmp: fig.savefig(tmp, dpi=150, bbox_inches="tight", pad_inches=0.02)
        )
        plt.close(fig)
    return path


def fig_dacunha_cnn(experiment: Sequence[dict], construction: Sequence[dict] = ()):
    """Left: their experiment on our target — weight error and the conv part's output error
    (test split) vs n, log scale, with their published MNIST points overlaid (hollow markers,
    `approx.experiments.published`). Right, when `construction` rows are given: the full
    random CNN pruned by the construction, certified and empirical errors (l2 and max-norm,
    absolute) vs n. Rows as `scripts/reproduce_dacunha_cnn.py` writes them (keys `n`,
    `weight_error`, `output_error_test`; `certified_l2`, `empirical_l2`,
    `certified_max_norm`, `empirical_max_norm`)."""
    if not experiment:
        raise InvalidArgument("experiment has no rows to plot")
    k = 2 if construction else 1
    fig, axes = plt.subplots(
        1, k, figsize=(PAGE_WIDTH, PANEL_HEIGHT * 1.4 + 0.6), layout="constrained", squeeze=False
    )
    ax = axes[0][0]
    ns = [r["n"] for r in experiment]
    for key, pub, color, what in (
        ("weight_error", DACUNHA_CNN_MNIST_WEIGHT_ERROR, "tab:blue", "weight error"),
        ("output_error_test", DACUNHA_CNN_MNIST_OUTPUT_ERROR, "tab:red", "output error (test)"),
    ):
        ax.plot(ns, [max(r[key], FLOOR) for r in experiment], "o-", color=color,
                label=f"{what}, digits (ours)")  # fmt: skip
        pn = sorted(pub)
        ax.plot(pn, [pub[n] for n in pn], "s--", color=color, mfc="none",
                label=f"{what}, MNIST (published)")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("samples per weight n")
    ax.set_ylabel("relative error (max |Δ| / max |target|)")
    ax.set_title("each conv weight a subset sum (their experiment)")
    if construction:
        ax = axes[0][1]
        ns = [r["n"] for r in construction]
        for key, color, marker, what in (
            ("certified_l2", "tab:red", "v-", "certified l2 (<=)"),
            ("empirical_l2", "tab:red", "^:", "empirical l2 (>=)"),
            ("certified_max_norm", "tab:purple", "v-", "certified max-norm (<=)"),
            ("empirical_max_norm", "tab:purple", "^:", "empirical max-norm (>=)"),
        ):
            ax.plot(ns, [max(r[key], FLOOR) for r in construction], marker, color=color,
                    label=what)  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlabel("samples per weight n")
        ax.set_ylabel("sup |f - g|  (absolute)")
        ax.set_title("random CNN pruned by the construction")
    shared_legend(fig, cols=3)
    return fig
