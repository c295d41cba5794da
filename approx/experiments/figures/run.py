"""The figure of one run: per-weight errors beside the certified and empirical network error."""

from __future__ import annotations

from pathlib import Path

import torch

from ...basics.files import write_atomic
from ...basics.units import format_widths
from ...pipeline.result import RunResult
from .common import COLUMN_WIDTH, PAGE_WIDTH, plt, shared_legend, style


def plot_run(result: RunResult, path: str | Path, *, style_name: str = "default") -> Path:
    """Per-weight errors of each layer over the half-lines its inputs reach (histogram, log
    scale: P and N in layer 1, P after a ReLU) beside the per-weight, empirical and certified
    errors as bars, both against eps; a page wide, one legend below. Needs `result.artifacts`."""
    if result.artifacts is None:
        raise ValueError("result has no artifacts (tensors) to plot")
    target, pruned = result.artifacts.target, result.artifacts.pruned
    floor = 1e-18
    with style(style_name):
        fig, (ax_w, ax_e) = plt.subplots(
            1, 2, figsize=(PAGE_WIDTH, COLUMN_WIDTH * 0.8 + 0.5), layout="constrained"
        )
        for i, errs in enumerate(_used_errors(pruned, target), start=1):
            errs = errs.double()
            ax_w.hist(errs.clamp_min(floor).log10().cpu().numpy(), bins=40, histtype="step",
                      label=f"layer {i}")  # fmt: skip
        ax_w.axvline(torch.log10(torch.tensor(result.eps)).item(), color="k", ls="--",
                     label=f"eps = {result.eps:g}")  # fmt: skip
        ax_w.set_xlabel("log10 |w_hat - w|  (per weight)")
        ax_w.set_ylabel("weights (half-lines inputs reach)")
        ax_w.set_title("per-weight error")
        used = result.max_weight_error_used
        names = ["max per-weight", "empirical (>=)", "certified (<=)"]
        values = [result.max_weight_error if used is None else used, result.empirical_error,
                  result.certified_error]  # fmt: skip
        ax_e.bar(names, [max(v, floor) for v in values], color=["0.6", "tab:blue", "tab:red"])
        ax_e.axhline(result.eps, color="k", ls="--")
        ax_e.set_yscale("log")
        ax_e.set_ylabel("sup over ||x|| <= 1 of ||f(x) - g(x)||")
        ax_e.set_title("network error")
        widths = format_widths(result.target_widths)
        fig.suptitle(
            f"{result.construction}: target {widths}, n = {list(result.n_per_layer)}, "
            f"seed {result.seed}"
        )
        shared_legend(fig)
        path = Path(path)
        write_atomic(  # complete or absent
            path, lambda tmp: fig.savefig(tmp, dpi=150, bbox_inches="tight", pad_inches=0.02)
        )
        plt.close(fig)
    return path


def _used_errors(pruned, target) -> list[torch.Tensor]:
    """Per target layer, the `|ŵ − w|` of the realised weights the layer's inputs reach: P and
    N of a half-line layer 1, P after a ReLU; every copy's weights and biases for depth l + 1."""
    if pruned.copies is not None:
        return list(pruned.weight_errors(target))
    out = []
    for i, (lay, w) in enumerate(zip(pruned.layers, target.weights, strict=True), start=1):
        halves = [lay.P - w, lay.N - w] if i == 1 else [lay.P - w]
        out.append(torch.cat([h.flatten() for h in halves]).abs())
    return out
