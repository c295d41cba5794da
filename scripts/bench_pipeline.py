"""Benchmark one end-to-end run by phase: `approx.run.run(widths=(784, 500, 10), eps=0.01,
n=21)` by default, Pensia et al.'s 784-500-10 network.

Each repeat is one full `run` (sample the depth-4 random network, prune it with the subset-sum
solver, certify, estimate the empirical error) in this process, after one warm-up run on a
tiny target so that numba's compilation is not timed. Reported per phase (`RunResult.
phase_seconds`): the median over repeats and its share of the summed phases; the median wall
time of `run`; the process's peak resident set (getrusage: numba's and torch's buffers
included, so it is the peak of the whole process, all repeats); the kept parameters and the
certified and empirical errors of the last repeat (identical across repeats: same seed); and
whether the performance goals (≤ 30 s wall, ≤ 8 GB peak) are met. Timings are medians of
wall clocks on a possibly shared machine: compare figures from one invocation.

The last line of output is one JSON object with all figures.

    python scripts/bench_pipeline.py                      # 784-500-10, n = 21, 3 repeats
    python scripts/bench_pipeline.py --solver fewest      # sparsest tickets within tolerance
    python scripts/bench_pipeline.py --quick              # a small target; the smoke test
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time

from approx.pipeline.run import run

GOAL_SECONDS = 30.0  # goal: the 784-500-10 run in at most 30 s wall ...
GOAL_BYTES = 8 * 10**9  # ... and 8 GB peak memory, on 2 cores
FULL = {"widths": (784, 500, 10), "eps": 0.01, "n": 21}
QUICK = {"widths": (20, 10, 5), "eps": 0.05, "n": 10, "empirical_samples": 256, "ascent_steps": 10}


def peak_rss_bytes() -> int:
    """Peak resident set of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed runs (default 3)")
    p.add_argument("--solver", default="exact", help="subset-sum solver (default exact)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help=f"small target {QUICK}: seconds")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats={args.repeats} must be >= 1")
    config = QUICK if args.quick else FULL

    run(widths=(4, 3, 2), eps=0.1, n=6, solver=args.solver, empirical_samples=16)  # compile
    walls, phases, last = [], {}, None
    for _ in range(args.repeats):
        start = time.perf_counter()
        last = run(**config, solver=args.solver, seed=args.seed)
        walls.append(time.perf_counter() - start)
        for name, seconds in last.phase_seconds.items():
            phases.setdefault(name, []).append(seconds)

    median = {name: statistics.median(values) for name, values in phases.items()}
    total = sum(median.values())
    wall = statistics.median(walls)
    peak = peak_rss_bytes()
    shown = ", ".join(f"{k}={v}" for k, v in config.items())
    print(f"run({shown}, solver={args.solver!r}), median of {args.repeats}:")
    for name, seconds in median.items():
        print(f"  {name:<10} {seconds:8.2f} s  {seconds / total:6.1%}")
    print(f"  {'wall':<10} {wall:8.2f} s  (goal <= {GOAL_SECONDS:g} s)")
    print(f"  peak RSS   {peak / 1e9:8.2f} GB (goal <= {GOAL_BYTES / 1e9:g} GB)")
    print(
        f"  kept {last.kept_params:,} of {last.random_params:,} params; certified error "
        f"{last.certified_error:.3g} (upper bound), empirical {last.empirical_error:.3g} "
        "(lower estimate)"
    )
    figures = {
        "config": {**config, "widths": list(config["widths"]), "solver": args.solver},
        "repeats": args.repeats,
        "seed": args.seed,
        "wall_s": wall,
        "walls_s": walls,
        "phase_s": median,
        "phase_share": {name: s / total for name, s in median.items()},
        "peak_rss_bytes": peak,
        "kept_params": last.kept_params,
        "random_params": last.random_params,
        "certified_error": last.certified_error,
        "empirical_error": last.empirical_error,
        "max_weight_error": last.max_weight_error,
        "weight_tolerance": last.weight_tolerance,
        "goal_wall_s": GOAL_SECONDS,
        "goal_peak_bytes": GOAL_BYTES,
        "wall_goal_met": wall <= GOAL_SECONDS,
        "memory_goal_met": peak <= GOAL_BYTES,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
