"""Reproduce Burkholz 2022's shipped subset-sum statistics (arXiv 2205.02321, the authors' code):
n = 15 coefficients, eps = 0.01, 100,000 targets z ~ U[-1, 1]:
P(optimal error > eps) = 0.40% for Uniform[-1, 1] coefficients, 3.55% for products of two.

We solve every instance exactly (Horowitz-Sahni meet in the middle, `approx.engine.subset_sum`),
draw fresh coefficients per target (`approx.experiments.montecarlo.coefficient_success`), and
give a Wilson 95% interval for each failure rate. Pensia's half-pruned product (2n products,
a > 0 usable) is added for comparison; Burkholz does not report it.

    python scripts/reproduce_burkholz.py            # full: 100,000 targets per distribution
    python scripts/reproduce_burkholz.py --quick    # 10,000 targets (smoke test)
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from approx.basics.errors import InvalidArgument
from approx.basics.files import check_writable_file, write_text_atomic
from approx.basics.progress import progress_bar
from approx.experiments.montecarlo import coefficient_success

PUBLISHED = {"uniform": 0.0040, "product": 0.0355}  # P(error > eps), Burkholz 2022's code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="10,000 targets instead of 100,000")
    ap.add_argument("--trials", type=int, help="targets per distribution (overrides --quick)")
    ap.add_argument("--n", type=int, default=15)
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.json:
        try:
            check_writable_file(args.json, "--json")
        except InvalidArgument as e:
            ap.error(str(e))
    trials = args.trials or (10_000 if args.quick else 100_000)
    mode = "QUICK" if args.quick and not args.trials else "full"
    print(
        f"Burkholz 2022 subset-sum statistics ({mode} mode): n = {args.n}, eps = {args.eps:g}, "
        f"{trials:,} targets z ~ U[-1,1] per distribution, exact solver, seed {args.seed}\n"
    )
    print(
        f"| {'coefficients':<22} | {'P(error > eps), ours':>20} | {'Wilson 95%':>18} | "
        f"{'published':>9} | published in interval |"
    )
    print(f"|{'-' * 24}|{'-' * 22}|{'-' * 20}|{'-' * 11}|{'-' * 23}|")
    out = []
    t0 = time.perf_counter()
    dists = ("uniform", "product", "pensia")
    bar = progress_bar(len(dists), desc="distributions", unit="distribution", ticking=True)
    for dist in dists:
        res = coefficient_success(dist, args.n, args.eps, trials=trials, seed=args.seed)
        bar.update(1)
        fail = 1 - res.rate
        lo, hi = (1 - w for w in reversed(res.wilson()))
        pub = PUBLISHED.get(dist)
        inside = "-" if pub is None else ("yes" if lo <= pub <= hi else "NO")
        pub_text = "-" if pub is None else f"{pub:.2%}"
        name = {"uniform": "U[-1,1]", "product": "U[-1,1]*U[-1,1]", "pensia": "Pensia half-pruned"}
        bar.write(
            f"| {name[dist]:<22} | {fail:>20.3%} | {f'[{lo:.3%}, {hi:.3%}]':>18} | "
            f"{pub_text:>9} | {inside:<21} |",
            file=sys.stdout,
        )
        out.append({**res.to_json(), "failure_rate": fail, "failure_wilson95": [lo, hi]})
    bar.close()
    print(f"\n{time.perf_counter() - t0:.1f} s wall time")
    if args.json:  # checked before any work; written whole or not at all
        write_text_atomic(
            args.json, json.dumps({"mode": mode, "published": PUBLISHED, "results": out}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
