"""The empirical search's budget: the value each choice of restart rounds and polish finds, and
its CPU seconds, on five targets (docs/error.md, "How the budget was chosen").

Targets (runs of Pensia's construction): the README's headline example (16-16-16-4, theorem's
n, seed 0), 8-8-8-2 (theorem's n, seed 1), 12-12-4 (theorem's n, seed 3), 10-10-10-10
(theorem's n, seed 6) and 64-32-10 (n = 12, seed 0). Each budget runs `empirical_error` on the
exact difference form (`difference.error_at`) with search seeds 0, 1, 2, torch on one thread;
the CPU seconds are the mean of one search.

    python scripts/empirical_budget.py            # every budget (~3 min on one core)
    python scripts/empirical_budget.py --quick    # the default budget on 8-8-8-2 (smoke test)
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
from empirical_vs_reference import pinned  # the sibling script (scripts/ is on the path)

from approx.basics.progress import progress_bar
from approx.measurement.difference import error_at
from approx.measurement.empirical import empirical_error
from approx.measurement.stored import stored_layers
from approx.pipeline.run import run

TARGETS = [((16, 16, 16, 4), None, 0), ((8, 8, 8, 2), None, 1), ((12, 12, 4), None, 3),
           ((10, 10, 10, 10), None, 6), ((64, 32, 10), 12, 0)]  # fmt: skip
# name -> defaults for the duration (the rest as defaults.py has them)
BUDGETS = {
    "previous default: 3 rounds of 10 steps from the 8 best, move 0.3, 200 polish steps": dict(
        EMPIRICAL_RESTARTS=3, EMPIRICAL_RESTART_STEPS=10, EMPIRICAL_RESTART_ELITE=8,
        EMPIRICAL_RESTART_SIGMAS=(0.3,), EMPIRICAL_POLISH_STEPS=200),
    "16 rounds of 3 steps from the 4 best, move 0.1, no polish": dict(
        EMPIRICAL_RESTART_SIGMAS=(0.1,), EMPIRICAL_POLISH_STEPS=0),
    "16 rounds of 3 steps from the 4 best, moves 0.1 and 0.3, no polish": dict(
        EMPIRICAL_POLISH_STEPS=0),
    "12 rounds of 3 steps from the 4 best, moves 0.1 and 0.3, 50 polish steps": dict(
        EMPIRICAL_RESTARTS=12),
    "default: 16 rounds of 3 steps from the 4 best, moves 0.1 and 0.3, 50 polish steps": {},
}  # fmt: skip


def measure(stored, d: int, overrides: dict) -> dict:
    def e(x: torch.Tensor) -> torch.Tensor:
        return error_at(stored, x)

    def zero(x: torch.Tensor) -> torch.Tensor:  # the search's value is then ||e|| itself
        return torch.zeros(len(x), stored[-1].W.shape[0], dtype=x.dtype)

    values, cpu = [], time.process_time()
    with pinned(**overrides):
        for s in range(3):
            gen = torch.Generator().manual_seed(s)
            values.append(empirical_error(zero, e, d, generator=gen, error_map=e).value)
    return {"values": values, "cpu_seconds": (time.process_time() - cpu) / 3}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the default budget on one small net")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    targets = TARGETS[1:2] if args.quick else TARGETS
    budgets = {k: v for k, v in BUDGETS.items() if not args.quick or not v}
    torch.set_num_threads(1)
    stored = []
    for widths, n, seed in targets:
        a = run(widths=widths, n=n, seed=seed, empirical_samples=1, ascent_steps=0).artifacts
        stored.append(stored_layers(a.target, a.random_net, a.pruned.masks))
    torch.set_num_threads(1)  # the solver's numba pool may have raised torch's thread count
    rows = []
    with progress_bar(len(budgets) * len(targets), desc="searches", unit="target") as bar:
        for name, overrides in budgets.items():
            row = {"budget": name, "targets": []}
            for (widths, n, seed), st in zip(targets, stored, strict=True):
                row["targets"].append({"widths": list(widths), "n": n, "seed": seed,
                                       **measure(st, widths[0], overrides)})  # fmt: skip
                bar.update(1)
            rows.append(row)
            values = " | ".join(", ".join(f"{v:.8g}" for v in t["values"]) for t in row["targets"])
            cpu = ", ".join(f"{t['cpu_seconds']:.2f}" for t in row["targets"])
            bar.write(f"| {name} | {values} | {cpu} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
