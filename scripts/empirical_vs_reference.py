"""The empirical search against much stronger searches, on nets with 8 to 16 inputs.

For each net (a `run` of Pensia's construction; the first is the README's headline example),
the default search (`approx.measurement.empirical`, 3 seeds, its CPU seconds) is compared with
a reference: the best of 4 projected-Adam searches (200,000 sphere points, the 256 best run
400 Adam steps, learning rate 0.02, cosine decay), 3 runs of the search with 30x the old
default's budget (65,536 points, 1,024 starts, 60 steps, 300 polish steps) and 3 runs with 40
rounds of restarts from 512 copies of the 16 best points (both with the restart rounds they were
measured with, `REFERENCE_RESTARTS`). Shortfall = 1 − value / reference. Every search runs on
the exact difference form (`difference.error_at`).

    python scripts/empirical_vs_reference.py            # 8 nets (~30 min on one core)
    python scripts/empirical_vs_reference.py --quick    # 1 small net, small references
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time

import torch

from approx.basics import defaults
from approx.basics.masks import masked_forward
from approx.basics.progress import progress_bar
from approx.basics.sampling import unit_sphere
from approx.measurement.difference import error_at
from approx.measurement.empirical import empirical_error
from approx.measurement.stored import stored_layers
from approx.pipeline.run import run

NETS = [((16, 16, 16, 4), None, 0), ((8, 8, 8, 2), None, 1), ((8, 16, 4), None, 2),
        ((12, 12, 4), None, 3), ((16, 16, 4), None, 4), ((8, 8, 2), 10, 5),
        ((10, 10, 10, 10), None, 6), ((8, 4, 4), 12, 7)]  # fmt: skip


# The reference searches keep the restart rounds they were measured with (10 steps a round from
# copies of the 8 best, moved by 0.3), whatever the default search now does: the reference stays
# the same number when the default changes.
REFERENCE_RESTARTS = dict(EMPIRICAL_RESTART_STEPS=10, EMPIRICAL_RESTART_ELITE=8,
                          EMPIRICAL_RESTART_SIGMAS=(0.3,))  # fmt: skip


@contextlib.contextmanager
def pinned(**values):
    """`defaults` with `values` for the duration (the script's own process only)."""
    saved = {k: getattr(defaults, k) for k in values}
    for k, v in values.items():
        setattr(defaults, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(defaults, k, v)


def restarted(f, g, e, d, seed, scale) -> float:
    """The search with 40 rounds of restarts from 512 copies of the 16 best (1/`scale`)."""
    with pinned(**{**REFERENCE_RESTARTS, "EMPIRICAL_RESTART_ELITE": max(1, 16 // scale)}):
        gen = torch.Generator().manual_seed(2000 + seed)
        return empirical_error(f, g, d, generator=gen, error_map=e, n_samples=65536 // scale,
                               n_ascent=512 // scale, ascent_steps=30, restarts=40 // scale,
                               polish_steps=300).value  # fmt: skip


def adam(e, d, seed, n, starts, steps) -> float:
    gen = torch.Generator().manual_seed(seed)
    x0 = unit_sphere(n, d, gen, torch.float64, "cpu")
    with torch.no_grad():
        v0 = e(x0).norm(dim=1)
    top = v0.topk(starts).indices
    x = x0[top].clone().requires_grad_(True)
    best = v0[top].clone()
    opt = torch.optim.Adam([x], lr=0.02)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        val = e(x / x.norm(dim=1, keepdim=True)).norm(dim=1)
        best = torch.maximum(best, val.detach())
        opt.zero_grad()
        (-val.sum()).backward()
        opt.step()
        sched.step()
    return float(best.max())


def compare(widths, n, seed, quick: bool) -> dict:
    r = run(widths=widths, n=n, seed=seed, empirical_samples=1, ascent_steps=0)
    torch.set_num_threads(1)  # the solver's numba pool may have raised torch's thread count
    a = r.artifacts
    stored = stored_layers(a.target, a.random_net, a.pruned.masks)
    f, g, d = a.target.forward, masked_forward(a.random_net, a.pruned.masks), widths[0]

    def e(x):
        return error_at(stored, x)

    scale = 16 if quick else 1
    refs = [adam(e, d, 101 + s, 200_000 // scale, 256 // scale, 400 // scale) for s in range(4)]
    big = dict(n_samples=65536 // scale, n_ascent=1024 // scale, ascent_steps=60 // scale)
    with pinned(**REFERENCE_RESTARTS):
        refs += [
            empirical_error(f, g, d, generator=torch.Generator().manual_seed(1000 + s),
                            error_map=e, polish_steps=300 // scale, restarts=3, **big).value
            for s in range(3)
        ]  # fmt: skip
    refs += [restarted(f, g, e, d, s, scale) for s in range(3)]
    reference = max(refs)
    found, cpu = [], time.process_time()
    for s in range(3):
        found.append(empirical_error(f, g, d, generator=torch.Generator().manual_seed(s),
                                     error_map=e).value)  # fmt: skip
    cpu = (time.process_time() - cpu) / 3
    return {
        "widths": list(widths), "n": n, "seed": seed, "reference": reference,
        "adam_best": max(refs[:4]), "old_reference": max(refs[:7]), "default": found,
        "cpu_seconds": cpu,
        "shortfall": [v / reference - 1 for v in found],
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one small net, 1/16 references")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    nets = [((8, 4, 4), 12, 7)] if args.quick else NETS
    print("| target | n | seed | reference | Adam + 30x searches | Adam best | default, 3 seeds "
          "(shortfall) | CPU s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    rows = []
    with progress_bar(len(nets), desc="nets", unit="net", ticking=True) as bar:
        for widths, n, seed in nets:
            row = compare(widths, n, seed, args.quick)
            rows.append(row)
            short = ", ".join(f"{s:+.2%}" for s in row["shortfall"])
            bar.write(
                f"| {'-'.join(map(str, widths))} | {n or 'theorem'} | {seed} | "
                f"{row['reference']:.4e} | {row['old_reference'] / row['reference'] - 1:+.2%} | "
                f"{row['adam_best'] / row['reference'] - 1:+.2%} | "
                f"{short} | {row['cpu_seconds']:.2f} |"
            )
            bar.update(1)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
