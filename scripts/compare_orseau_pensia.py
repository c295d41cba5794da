"""Orseau et al.'s headline, side by side with Pensia et al.'s: samples per weight for a
per-weight error <= eps, on the same target weights.

Orseau et al. 2020 report no table of samples per weight that we could read (docs/references.md,
Orseau et al. 2020: only the Figure 1 caption, restated — "2 log 1/eps intermediate neurons, O(log
1/eps) sampled neurons, where one pair per weight needs 1/eps^2"). This script measures that
claim on this repository's constructions, one target weight and one half-line at a time:

- Orseau (approx.constructions.orseau): 2n units, a and b i.i.d. hyperbolic on [alpha, 1] with a
  random sign, alpha = hyperbolic_low(K), K = digit_count(eps); the candidates are the products
  a·b of the units with a > 0; kept: the base-3/2 digit greedy (`digit_greedy`), <= K units.
- Pensia (approx.constructions.pensia): 2n units, a, b i.i.d. Uniform[-1, 1]; the same half-line;
  kept: the exact best subset (`solve`, method "exact").

Per trial, the same target w ~ U[-1, 1] for both; n runs over prefixes of one stream of units
(Pensia: every n, its exact error never grows with n; Orseau: a geometric grid of n, the greedy
is re-run on each prefix). n*(eps) = the q-quantile over trials of the first n with error <= eps
(default q = 0.9), with a 95% bootstrap interval; "kept" = the median number of units the method
keeps at that n. The last column is the paper's "2 log(1/eps)" with log base 3/2, 2K: what a
weight keeps on both half-lines at most.

    python scripts/compare_orseau_pensia.py            # 1000 trials, eps 1e-1 .. 1e-4
    python scripts/compare_orseau_pensia.py --quick    # 200 trials, eps 1e-1 .. 1e-3

Writes <out>/samples_per_weight.{md,csv,png} (and --json FILE) and prints the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from approx.basics.progress import progress_bar
from approx.basics.sampling import sample_weights
from approx.constructions.orseau import digit_count, digit_greedy, hyperbolic_low
from approx.engine.subset_sum import solve
from approx.experiments.figures import plot_samples_per_weight

EPS = (1e-1, 10**-1.5, 1e-2, 10**-2.5, 1e-3, 10**-3.5, 1e-4)


def quantile_ci(counts: np.ndarray, q: float, rng: np.random.Generator, boot: int = 2000):
    """The q-quantile (inverted CDF) of `counts` and a 95% bootstrap percentile interval."""
    est = float(np.quantile(counts, q, method="inverted_cdf"))
    idx = rng.integers(0, len(counts), size=(boot, len(counts)))
    qs = np.quantile(counts[idx], q, axis=1, method="inverted_cdf")
    return est, float(np.quantile(qs, 0.025)), float(np.quantile(qs, 0.975))


def units(gen: torch.Generator, trials: int, n: int, law: str, low: float | None):
    """Candidates of one half-line: products a·b of 2n units, valid where a > 0."""
    kind = {"distribution": law, "low": low} if law == "hyperbolic" else {}
    a = sample_weights((trials, 2 * n), generator=gen, **kind)
    b = sample_weights((trials, 2 * n), generator=gen, **kind)
    return a * b, a > 0


def first_hits(w, eps, gen, n_grid, law):
    """(trials,) first n of `n_grid` with error <= eps (inf past the grid), and the units kept
    there; Orseau's digit greedy for law "hyperbolic", Pensia's exact subset sum otherwise."""
    k = digit_count(eps)
    low = hyperbolic_low(k) if law == "hyperbolic" else None
    products, valid = units(gen, len(w), n_grid[-1], law, low)
    hits = torch.full((len(w),), math.inf, dtype=torch.float64)
    kept = torch.zeros(len(w), dtype=torch.float64)
    for n in n_grid:
        rows = torch.isinf(hits).nonzero().squeeze(1)
        if rows.numel() == 0:
            break
        c, v = products[rows, : 2 * n].contiguous(), valid[rows, : 2 * n].contiguous()
        if law == "hyperbolic":
            chosen, value = digit_greedy(c, w[rows], v, k)
            err = (value - w[rows]).abs()
        else:
            res = solve(c, w[rows], v, method="exact")
            chosen, err = res.chosen, res.error
        ok = err <= eps
        hits[rows[ok]] = n
        kept[rows[ok]] = chosen[ok].sum(1).double()
    return hits.numpy(), kept.numpy()


def measure(args, eps_values, trials):
    gen = torch.Generator().manual_seed(args.seed)
    w = torch.rand(trials, generator=gen, dtype=torch.float64) * 2 - 1  # the same targets
    rng = np.random.default_rng(args.seed)
    grids = {
        "Orseau (hyperbolic, digits)": sorted({round(1.25**i) for i in range(0, 60)} - {0}),
        "Pensia (uniform, subset sum)": list(range(1, args.pensia_max + 1)),
    }
    laws = {"Orseau (hyperbolic, digits)": "hyperbolic", "Pensia (uniform, subset sum)": "uniform"}
    rows = []
    with progress_bar(len(eps_values) * 2, desc="eps x method", unit="point") as bar:
        for e in eps_values:
            for method, grid in grids.items():
                grid = [n for n in grid if n <= (args.orseau_max if "Orseau" in method else 10**9)]
                hits, kept = first_hits(w, e, gen, grid, laws[method])
                n, lo, hi = quantile_ci(hits, args.q, rng)
                done = np.isfinite(hits)
                rows.append(
                    {
                        "method": method,
                        "eps": e,
                        "n_needed": n,
                        "ci_low": lo,
                        "ci_high": hi,
                        "kept_median": float(np.median(kept[done])) if done.any() else None,
                        "two_K": 2 * digit_count(e),
                        "trials": trials,
                        "censored": int((~done).sum()),
                    }
                )
                bar.update(1)
    return sorted(rows, key=lambda r: (r["method"], -r["eps"]))


def table(rows, args, trials, seconds) -> str:
    def fmt(v):
        return "> cap" if v == math.inf else ("—" if v is None else f"{v:,.0f}")

    lines = [
        f"Samples per weight n (2n units per input, one half-line) for per-weight error <= eps "
        f"in {args.q:.0%} of {trials} targets w ~ U[-1, 1] (the same for both); seed "
        f"{args.seed}; 95% bootstrap interval",
        "",
        "| method | eps | n needed | 95% CI | units kept (median) | 2K = 2 log_{3/2}(1/eps) "
        "| censored |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['eps']:.1e} | {fmt(r['n_needed'])} | "
            f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}] | {fmt(r['kept_median'])} | "
            f"{r['two_K']} | {r['censored']}/{r['trials']} |"
        )
    lines += ["", f"({seconds:.1f} s)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 trials, eps down to 1e-3")
    ap.add_argument("--trials", type=int, help="target weights (default 1000, quick 200)")
    ap.add_argument("--q", type=float, default=0.9, help="fraction of weights within eps")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pensia-max", type=int, default=30, help="largest n for the exact search")
    ap.add_argument("--orseau-max", type=int, default=20_000, help="largest n for the digits")
    ap.add_argument("--out", type=Path, default=Path("results/compare_orseau_pensia"))
    ap.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    if not 0 < args.q < 1:
        ap.error(f"--q={args.q} must lie in (0, 1)")
    trials = args.trials or (200 if args.quick else 1000)
    eps_values = EPS[:5] if args.quick else EPS
    t0 = time.perf_counter()
    rows = measure(args, eps_values, trials)
    text = table(rows, args, trials, time.perf_counter() - t0)
    if args.quick:
        text = "QUICK mode (fewer trials and eps values)\n\n" + text
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "samples_per_weight.md").write_text(text + "\n")
    with open(args.out / "samples_per_weight.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    if args.json is not None:
        args.json.write_text(json.dumps({"q": args.q, "trials": trials, "results": rows}))
    if not args.no_plot:
        path = plot_samples_per_weight(rows, args.out / "samples_per_weight.png", q=args.q)
        print(f"\nwrote {args.out}/samples_per_weight.md, .csv and {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
