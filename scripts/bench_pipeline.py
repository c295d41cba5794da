"""Benchmark one end-to-end run by phase: `approx.run.run(widths=(784, 500, 10), eps=0.01,
n=21)` by default, Pensia et al.'s 784-500-10 network.

Each repeat is one full `run` (sample the depth-4 random network, prune it with the subset-sum
solver, certify, estimate the empirical error) in this process, after one warm-up run on a
tiny target so that numba's compilation is not timed. Reported per phase (`RunResult.
phase_seconds`): the median over repeats and its share of the summed phases; the median wall
time of `run`; the process's peak resident set (getrusage: numba's and torch's buffers
included, so it is the peak of the whole process, all repeats); the kept parameters and the
certified and empirical errors of the last repeat (identical across repeats: same seed); and
whether the performance goals (≤ 10 s wall, ≤ 20 s with `--solver fewest`, ≤ 3 GB peak, 2
quiet cores) are met. Timings are medians of
wall clocks on a possibly shared machine: compare figures from one invocation.

The last line of output is one JSON object with all figures.

    python scripts/bench_pipeline.py                      # 784-500-10, n = 21, 3 repeats
    python scripts/bench_pipeline.py --solver fewest      # sparsest tickets within tolerance
    python scripts/bench_pipeline.py --quick              # a small target; the smoke test

`--busy` measures the `approx` command instead, each run a fresh process timed from its start
(imports and numba's cache load included): the default run (`approx run`) and the 784-500-10
pipeline (`approx run --widths 784,500,10 --eps 0.01 --n 21`), each (a) alone, (b) next to two
single-threaded busy loops and (c) next to a second copy of the same command. Per condition:
the median wall time and CPU-seconds (user + sys of the command's process, from os.wait4) and
their ratios to the run alone: a command whose thread pools spin or oversubscribe burns more
CPU-seconds when the cores are busy. It also times `approx --help`. "Alone" means no load of
its own: the machine's load average is printed with every condition.

    python scripts/bench_pipeline.py --busy               # 3 repeats per condition (minutes)
    python scripts/bench_pipeline.py --busy --quick       # small commands, 1 repeat: seconds
    python scripts/bench_pipeline.py --busy --env PYTHONPATH=/old/checkout   # compare code
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from approx.pipeline.run import run

GOAL_SECONDS = {"exact": 10.0, "fewest": 20.0}  # goal: the 784-500-10 run's wall per solver
GOAL_BYTES = 3 * 10**9  # ... and 3 GB peak memory, on 2 quiet cores
FULL = {"widths": (784, 500, 10), "eps": 0.01, "n": 21}
QUICK = {"widths": (20, 10, 5), "eps": 0.05, "n": 10, "empirical_samples": 256, "ascent_steps": 10}


def peak_rss_bytes() -> int:
    """Peak resident set of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3, help="timed runs (default 3)")
    p.add_argument("--solver", default="exact", help="subset-sum solver (default exact)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help=f"small target {QUICK}: seconds")
    p.add_argument(
        "--busy",
        action="store_true",
        help="time the approx command alone, next to two busy loops, and next to a copy of itself",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="--busy: set in the commands' environment (repeatable), e.g. OMP_WAIT_POLICY=ACTIVE",
    )
    p.add_argument(
        "--only",
        choices=("default", "pipeline"),
        help="--busy: time only the default run or only the 784-500-10 pipeline",
    )
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error(f"--repeats={args.repeats} must be >= 1")
    if any("=" not in e for e in args.env):
        p.error(f"--env={args.env} must be NAME=VALUE")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.busy:
        with tempfile.TemporaryDirectory() as cwd:
            env = {**os.environ, **dict(e.split("=", 1) for e in args.env)}
            return busy(args.repeats if not args.quick else 1, args.quick, env, cwd, args.only)
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
    goal_s = GOAL_SECONDS.get(args.solver, GOAL_SECONDS["exact"])
    print(f"  {'wall':<10} {wall:8.2f} s  (goal <= {goal_s:g} s)")
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
        "goal_wall_s": goal_s,
        "goal_peak_bytes": GOAL_BYTES,
        "wall_goal_met": wall <= goal_s,
        "memory_goal_met": peak <= GOAL_BYTES,
    }
    print(json.dumps(figures))
    return 0


# --busy: the commands, and the small ones --quick times instead
COMMANDS = {
    "default": ["run"],
    "784-500-10": ["run", "--widths", "784,500,10", "--eps", "0.01", "--n", "21"],
}
QUICK_COMMANDS = {
    "default": ["run", "--samples", "256", "--ascent-steps", "2"],
    "20-10-5": ["run", "--widths", "20,10,5", "--eps", "0.05", "--n", "10"],
}
BUSY_LOOP = "while True: pass"
GOAL_CPU_RATIO = 1.15  # goal: busy CPU-seconds at most 1.15x the quiet run's
GOAL_DEFAULT_RUN_SECONDS = 2.0  # goal: `approx run`, start-up included, on 2 quiet cores


def _start(args: list[str], env: dict, cwd: str) -> tuple[subprocess.Popen, float]:
    """The command in an empty directory: `python -m` puts the current directory first on the
    path, which in a checkout would shadow the approx that --env PYTHONPATH names."""
    cmd = [sys.executable, "-m", "approx.cli", *args, "--quiet", "--json"]
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    return proc, time.perf_counter()


def _finish(proc: subprocess.Popen, start: float) -> dict:
    """Wall and CPU-seconds of one command's process, and its own `seconds` (the work)."""
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench_pipeline: {proc.args} exited with {proc.returncode}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "work_s": result["seconds"],
        "phase_s": result["phase_seconds"],
    }


def _measure(args: list[str], condition: str, env: dict, cwd: str) -> list[dict]:
    """One timed command (two copies for "copy"), with its load running beside it."""
    loops = []
    if condition == "loops":
        loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(2)]
        time.sleep(0.5)  # the loops are spinning before the command starts
    try:
        started = [_start(args, env, cwd) for _ in range(2 if condition == "copy" else 1)]
        return [_finish(proc, start) for proc, start in started]
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def _help_seconds(env: dict, cwd: str, repeats: int) -> float:
    walls = []
    for _ in range(max(repeats, 5)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "approx.cli", "--help"], env=env, check=True,
                       cwd=cwd, stdout=subprocess.DEVNULL)  # fmt: skip
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def busy(repeats: int, quick: bool, env: dict, cwd: str, only: str | None = None) -> int:
    """Each command alone, next to two busy loops, next to a copy of itself: medians, ratios."""
    commands = QUICK_COMMANDS if quick else COMMANDS
    if only is not None:  # the default run, or the other (the pipeline)
        commands = {k: v for k, v in commands.items() if (k == "default") == (only == "default")}
    _measure(next(iter(commands.values())), "quiet", env, cwd)  # numba's cache and the page cache
    figures = {"repeats": repeats, "cores": len(os.sched_getaffinity(0)), "commands": {}}
    figures["help_wall_s"] = _help_seconds(env, cwd, repeats)
    print(f"approx --help: {figures['help_wall_s']:.2f} s wall (median)")
    for name, args in commands.items():
        rows = {}
        for condition in ("quiet", "loops", "copy"):
            load = os.getloadavg()[0]
            runs = [r for _ in range(repeats) for r in _measure(args, condition, env, cwd)]
            phases = runs[0]["phase_s"]
            rows[condition] = {
                "wall_s": statistics.median(r["wall_s"] for r in runs),
                "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                "work_s": statistics.median(r["work_s"] for r in runs),
                "phase_s": {k: statistics.median(r["phase_s"][k] for r in runs) for k in phases},
                "load_before": load,
            }
        quiet = rows["quiet"]
        print(f"approx {' '.join(args)}  (median of {repeats}; ratios to alone)")
        for condition, row in rows.items():
            row["wall_ratio"] = row["wall_s"] / quiet["wall_s"]
            row["cpu_ratio"] = row["cpu_s"] / quiet["cpu_s"]
            phases = " ".join(f"{k} {v:.2f}" for k, v in row["phase_s"].items())
            print(
                f"  {condition:<6} wall {row['wall_s']:6.2f} s ({row['wall_ratio']:.2f}x)  "
                f"CPU {row['cpu_s']:6.2f} s ({row['cpu_ratio']:.2f}x, goal <= "
                f"{GOAL_CPU_RATIO}x)  start-up {row['wall_s'] - row['work_s']:.2f} s  "
                f"phases: {phases}  [load {row['load_before']:.1f}]"
            )
        figures["commands"][name] = {"args": args, **rows}
    default = figures["commands"].get("default", {}).get("quiet")
    if default is not None:
        figures["default_run_wall_s"] = default["wall_s"]
        figures["default_run_goal_met"] = default["wall_s"] <= GOAL_DEFAULT_RUN_SECONDS
        print(
            f"default run alone, start-up included: {default['wall_s']:.2f} s wall "
            f"(goal <= {GOAL_DEFAULT_RUN_SECONDS:g} s on 2 quiet cores)"
        )
    figures["cpu_goal_met"] = all(
        row["cpu_ratio"] <= GOAL_CPU_RATIO
        for rows in figures["commands"].values()
        for row in (rows["loops"], rows["copy"])
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
