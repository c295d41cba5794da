"""Benchmark the batched subset-sum solvers on identical instances.

Instances: coefficients and targets i.i.d. U[-1, 1], float64, one fixed seed; n coefficients
per instance, all valid. For each n it reports the exact engine's instances/s (median of
repeats, on all numba threads and on one), greedy's, and milp's (HiGHS, timed on a few
instances and extrapolated: labelled so), instances per CPU-second of the exact engine (robust
to neighbours on a shared machine), how often greedy and milp reach the exact optimum, the
largest gap between milp's and exact's error, the engine's element steps per instance
(2 (2^h1 + 2^h2) merge steps + (2^h1 + 2^h2) sweep steps, h1 + h2 = n) and the implied
nanoseconds per step, the speed-up of all threads over one (wall clock: the median of the
repeats' ratios, each repeat one call on all threads and one on one thread back to back) and
their CPU efficiency (instances per CPU-second on all threads over that on one; a busy
neighbour distorts it less), the 1-minute load average before and after each size (the
machine may be shared), and memory: the engine's workspace (exact, from its formula) and the
process's peak resident set so far (getrusage; tracemalloc cannot see numba's buffers).

The last line of output is one JSON object with all figures.

    python scripts/bench_subset_sum.py                # n = 16, 21, 24, 28, 32
    python scripts/bench_subset_sum.py --n 16,21 --milp 0
    python scripts/bench_subset_sum.py --quick        # seconds; the smoke test runs this
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

import numba
import torch

from approx.engine.subset_sum import solve
from approx.engine.subset_sum._numba_mitm import workspace_bytes

GOAL_N = 21
GOAL_RATE = 200_000  # instances/s at n = 21 on 2 cores, exact (the performance goal) ...
GOAL_SPEEDUP = 1.7  # ... and two threads at least this much faster than one at these sizes
SPEEDUP_SIZES = (21, 24, 28)
HIT_TOL = 1e-12  # a method "reaches the optimum" when its error is within this of exact's


def instances(n: int, m: int, seed: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    coeffs = torch.rand(m, n, generator=g, dtype=torch.float64) * 2 - 1  # (m, n)
    targets = torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1  # (m,)
    return coeffs.to(device), targets.to(device)


def timed(fn, repeats: int, device: str) -> tuple[float, float, object]:
    """Median wall time and median process CPU time (all threads) of `repeats` calls, after
    one warm-up call, and the last result. On a shared machine the wall time depends on the
    neighbours; instances per CPU-second does much less."""
    out = fn()
    wall, cpu = [], []
    for _ in range(repeats):
        if device == "cuda":
            torch.cuda.synchronize()
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        if device == "cuda":
            torch.cuda.synchronize()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), out


def alternated(fn, threads: int, repeats: int) -> tuple[tuple[float, ...], object]:
    """`fn` timed on all `threads` numba threads and on one, alternating (one call each per
    repeat, after one warm-up call of each): the median wall and CPU time on all threads, on
    one, and the median of the repeats' wall-time ratios (one thread's over all threads');
    and the last result on all threads."""
    fn()
    wall, cpu, wall1, cpu1, ratios = [], [], [], [], []
    try:
        numba.set_num_threads(1)
        fn()
        for _ in range(repeats):
            numba.set_num_threads(threads)
            start, start_cpu = time.perf_counter(), time.process_time()
            out = fn()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            numba.set_num_threads(1)
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall1.append(time.perf_counter() - start)
            cpu1.append(time.process_time() - start_cpu)
            ratios.append(wall1[-1] / wall[-1])
    finally:
        numba.set_num_threads(threads)
    med = statistics.median
    return (med(wall), med(cpu), med(wall1), med(cpu1), med(ratios)), out


def steps_per_instance(n: int) -> int:
    h1 = n // 2
    return 3 * (2**h1 + 2 ** (n - h1))


def bench_size(
    n: int, m: int, milp_count: int, repeats: int, seed: int, device: str, budget: int
) -> dict:
    coeffs, targets = instances(n, m, seed, device)
    threads = numba.get_num_threads()
    row: dict = {"n": n, "instances": m, "load_average_before": os.getloadavg()[0]}

    def exact_call():
        return solve(coeffs, targets, memory_budget=budget)

    steps = steps_per_instance(n)
    row["element_steps_per_instance"] = steps
    if device == "cpu":
        (t, cpu, t1, cpu1, ratio), exact = alternated(exact_call, threads, repeats)
        row["exact_inst_per_s_1thread"] = m / t1
        row["exact_inst_per_cpu_s_1thread"] = m / cpu1
        # the median of per-repeat ratios: each pair of calls ran back to back, so a change in
        # the machine's load between repeats moves both calls of a pair alike
        row["thread_speedup"] = ratio
        # 1.0: threads cost no CPU time; the wall speed-up then depends on free cores only
        row["thread_cpu_efficiency"] = (m / cpu) / (m / cpu1)
        row["ns_per_step_1thread"] = t1 / m / steps * 1e9
        row["workspace_bytes_per_thread"] = workspace_bytes(n)
    else:
        t, cpu, exact = timed(exact_call, repeats, device)
    row["exact_inst_per_s"] = m / t
    row["exact_inst_per_cpu_s"] = m / cpu
    row["exact_mean_error"] = exact.error.mean().item()
    row["exact_max_error"] = exact.error.max().item()

    t, _, greedy = timed(
        lambda: solve(coeffs, targets, method="greedy", memory_budget=budget), repeats, device
    )
    row["greedy_inst_per_s"] = m / t
    row["greedy_mean_error"] = greedy.error.mean().item()
    row["greedy_optimal_fraction"] = (greedy.error <= exact.error + HIT_TOL).double().mean().item()

    if milp_count:
        start = time.perf_counter()
        milp = solve(coeffs[:milp_count], targets[:milp_count], method="milp")
        t = time.perf_counter() - start
        gap = milp.error - exact.error[:milp_count]
        row["milp_instances_timed"] = milp_count
        row["milp_inst_per_s_extrapolated"] = milp_count / t
        row["exact_over_milp"] = row["exact_inst_per_s"] / row["milp_inst_per_s_extrapolated"]
        row["milp_optimal_fraction"] = (gap <= HIT_TOL).double().mean().item()
        row["max_milp_minus_exact_error"] = gap.max().item()
        row["min_milp_minus_exact_error"] = gap.min().item()
    row["load_average_after"] = os.getloadavg()[0]
    row["peak_rss_mb_so_far"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


# (instances for exact and greedy, milp instances) per n: about a second of exact per repeat.
FULL = {16: (200_000, 6), 21: (50_000, 3), 24: (20_000, 2), 28: (3_000, 1), 32: (800, 1)}
QUICK = {12: (2_000, 2), 16: (2_000, 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (smoke test)")
    parser.add_argument("--n", help="comma-separated sizes, e.g. 16,21")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (exact uses torch there)")
    parser.add_argument("--milp", type=int, help="milp instances per size (0 skips milp)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-budget", type=int, default=2**30, help="bytes, passed to solve")
    args = parser.parse_args(argv)

    plan = QUICK if args.quick else FULL
    sizes = [int(s) for s in args.n.split(",")] if args.n else list(plan)
    rows = []
    for n in sizes:
        m, milp_count = plan.get(n, (max(100, 2_000_000 >> (n // 2)), 1))
        if args.milp is not None:
            milp_count = args.milp
        row = bench_size(n, m, milp_count, args.repeats, args.seed, args.device, args.memory_budget)
        rows.append(row)
        print(_line(row), flush=True)
    summary = {
        "device": args.device,
        "numba_threads": numba.get_num_threads(),
        "dtype": "float64",
        "seed": args.seed,
        "repeats": args.repeats,
        "quick": args.quick,
        "memory_budget": args.memory_budget,
        "sizes": rows,
    }
    goal = next((r for r in rows if r["n"] == GOAL_N), None)
    if goal is not None and args.device == "cpu":
        summary["goal_n21_inst_per_s"] = GOAL_RATE
        summary["goal_reached"] = goal["exact_inst_per_s"] >= GOAL_RATE
    speedups = {r["n"]: r["thread_speedup"] for r in rows if "thread_speedup" in r}
    if any(n in speedups for n in SPEEDUP_SIZES):
        summary["goal_thread_speedup"] = GOAL_SPEEDUP
        summary["thread_speedup_goal_reached"] = all(
            speedups[n] >= GOAL_SPEEDUP for n in SPEEDUP_SIZES if n in speedups
        )
    print(json.dumps(summary))
    return summary


def _line(row: dict) -> str:
    parts = [f"n={row['n']:2d}", f"exact {row['exact_inst_per_s']:10,.0f}/s"]
    if "exact_inst_per_s_1thread" in row:
        parts.append(f"(1 thread {row['exact_inst_per_s_1thread']:,.0f}/s, ")
        parts[-1] += f"{row['ns_per_step_1thread']:.2f} ns/step)"
        parts.append(f"threads x{row['thread_speedup']:.2f}")
        parts.append(f"CPU efficiency {row['thread_cpu_efficiency']:.2f}")
    parts.append(f"load {row['load_average_before']:.1f}->{row['load_average_after']:.1f}")
    parts.append(f"greedy {row['greedy_inst_per_s']:,.0f}/s")
    parts.append(f"greedy optimal {row['greedy_optimal_fraction']:.3f}")
    if "milp_inst_per_s_extrapolated" in row:
        parts.append(
            f"milp {row['milp_inst_per_s_extrapolated']:.3g}/s "
            f"(extrapolated from {row['milp_instances_timed']}), "
            f"exact/milp {row['exact_over_milp']:,.0f}x, "
            f"milp optimal {row['milp_optimal_fraction']:.2f}, "
            f"max gap {row['max_milp_minus_exact_error']:.1e}"
        )
    return "  ".join(parts)


if __name__ == "__main__":
    main(sys.argv[1:])
