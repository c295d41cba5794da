"""The planted-ticket benchmark (Fischer & Burkholz 2022, docs/search.md): on each target, for
each seed, plant the target's half-line ticket in the construction's random network and run
every method and construction on it (`approx compare --planted`); then, per target and method,
the median over seeds of the empirical error, the density, and the precision and recall of the
kept weights against the planted ones (min-max over seeds in brackets).

Targets: a random 4-4-2 target, Fischer & Burkholz's ReLU chain (depth 2: widths 1-1-1) and
the bias-free analogue of their circle ticket (2-8-1), each in Pensia's layout with n = 8.

    python scripts/planted_benchmark.py                 # 3 targets x 3 seeds, all methods
    python scripts/planted_benchmark.py --seeds 5 --json planted.json
    python scripts/planted_benchmark.py --quick         # tiny and short: the smoke test

Prints one Markdown table; the last line of output is one JSON object with every row.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from approx.experiments.threads import limit_threads
from approx.pipeline.search.benchmark import benchmark

TARGETS = {
    "random 4-4-2": {"target": "random", "widths": (4, 4, 2)},
    "relu-chain 1-1-1": {"target": "relu-chain", "depth": 2},
    "circle 2-8-1": {"target": "circle", "directions": 8},
}
FULL = {"n": 8, "empirical_samples": 1024, "ascent_steps": 50}
QUICK = {"n": 2, "empirical_samples": 32, "ascent_steps": 1}
QUICK_OPTIONS = {
    "edge-popup": {"steps": 10, "eval_every": 5},
    "greedy": {"samples": 32, "max_steps": 10},
    "supermask": {"steps": 10, "eval_every": 5},
    "imp": {"steps": 5},
    "gmp": {"steps": 10, "every": 2},
    "rigl": {"steps": 10, "every": 2},
    "evolution": {"generations": 2, "population": 4},
    "annealing": {"steps": 20},
}


def _span(values: list[float | None], fmt: str) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "none"
    med = format(statistics.median(vals), fmt)
    if len(vals) == 1:
        return med
    return f"{med} [{format(min(vals), fmt)}–{format(max(vals), fmt)}]"


def table(results: dict[str, list[dict]]) -> str:
    lines = [
        "| target | method | kind | density | empirical error | certified | precision | recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        methods = list(dict.fromkeys(r["method"] for b in runs for r in b["rows"]))
        for m in methods:
            rows = [r for b in runs for r in b["rows"] if r["method"] == m]
            lines.append(
                f"| {name} | {m} | {rows[0]['kind']} "
                f"| {_span([r['density'] for r in rows], '.1%')} "
                f"| {_span([r['empirical_error'] for r in rows], '.2e')} "
                f"| {_span([r['certified_error'] for r in rows], '.2e')} "
                f"| {_span([r['precision'] for r in rows], '.0%')} "
                f"| {_span([r['recall'] for r in rows], '.0%')} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per target (default 3)")
    p.add_argument("--json", help="also write every benchmark's JSON to this file")
    p.add_argument("--quick", action="store_true", help="n = 2, a few steps per method")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error(f"--seeds={args.seeds} must be >= 1")
    limit_threads()
    config = QUICK if args.quick else FULL
    options = QUICK_OPTIONS if args.quick else None
    results: dict[str, list[dict]] = {}
    start = time.perf_counter()
    for name, target in TARGETS.items():
        for seed in range(args.seeds):
            b = benchmark(**target, **config, seed=seed, planted=True, options=options)
            results.setdefault(name, []).append(b.to_json())
            print(f"{name}, seed {seed}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(table(results))
    print(
        f"\n{sum(len(v) for v in results.values())} benchmarks in "
        f"{time.perf_counter() - start:.0f} s"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
