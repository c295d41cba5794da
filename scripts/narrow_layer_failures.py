"""How often Pensia's construction misses eps on a 1x1 target layer W = [[w]], by n: the true
sup and the certified bound of `trials` random nets per point, all in one batch
(`approx.experiments.narrow`, which says how and why that equals `trials` runs).

    python scripts/narrow_layer_failures.py                 # w = 1 and 0.5, n = 12..28, 10,000 nets
    python scripts/narrow_layer_failures.py --quick         # 500 nets (smoke test)
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from approx.basics.progress import progress_bar
from approx.basics.statistics import clopper_pearson
from approx.experiments.narrow import errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="500 nets per point")
    ap.add_argument("--trials", type=int, help="random nets per point (overrides --quick)")
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--w", default="1,0.5", help="target weights (comma-separated)")
    ap.add_argument("--n", default="12,16,20,24,28", help="samples per weight (comma-separated)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the rates to this JSON file")
    args = ap.parse_args(argv)
    trials = args.trials or (500 if args.quick else 10_000)
    ws = [float(v) for v in args.w.split(",")]
    ns = [int(v) for v in args.n.split(",")]
    print(
        f"Pensia's construction, target W = [[w]], eps = {args.eps:g}: fraction of {trials:,} "
        f"random nets that miss eps (95% Clopper-Pearson), seed {args.seed}\n"
    )
    print("| w | n | C = n / ln(1/eps) | true sup > eps | certified > eps |")
    print("|---|---|---|---|---|")
    out = []
    with progress_bar(len(ws) * len(ns), desc="points", unit="point", ticking=True) as bar:
        for i, w in enumerate(ws):
            for j, n in enumerate(ns):
                true, cert = errors(w, n, trials, args.seed + 1000 * i + j)
                row = {"w": w, "n": n, "C": n / math.log(1 / args.eps), "trials": trials}
                cells = []
                for name, err in (("true", true), ("certified", cert)):
                    k = int((err > args.eps).sum())
                    lo, hi = clopper_pearson(k, trials, 0.95)
                    row[name] = {"failures": k, "rate": k / trials, "ci95": [lo, hi]}
                    cells.append(f"{k / trials:.2%} ({lo:.2%}-{hi:.2%})")
                bar.write(f"| {w:g} | {n} | {row['C']:.2f} | {cells[0]} | {cells[1]} |")
                bar.update(1)
                out.append(row)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
