"""The figure of one run: per-weight errors beside the certified and empirical network error."""

from __future__ import annotations

from pathlib import Path

import torch

from ...basics.files import write_atomic
from ...pipeline.result import RunResult
from .common import plt


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
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=120))  # complete or absent
    plt.close(fig)
    return path
