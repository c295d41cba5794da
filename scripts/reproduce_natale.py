"""Natale et al. 2024's density curve: how many samples per weight a ticket of density gamma
needs at fixed eps, next to the paper's sufficient (Theorem 2) and necessary (Theorem 5) sizes.

What the paper states (docs/references.md, Natale et al. 2024): for subsets of exactly k of n
samples, n ≥ c_hyp log2(k/eps) / H2(k/n) suffices for a constant success probability (Theorem
2), and n ≥ (d²/2) log2(k/eps) / H2(k/n) is necessary (Theorem 5; d = 1 for one weight). Its
constants are not given numerically; the shape is: n H2(gamma) / log2(k/eps) stays bounded as
the density gamma = k/n shrinks, so n grows like log(k/eps) / H2(gamma) ~ log(k/eps) /
(gamma log2(1/gamma)). No curve of the paper was read; this script compares against that shape.

Part 1 (one weight, the fixed-size random subset sum): for each density gamma, the smallest n
at which the best subset of exactly k = max(1, round(gamma n)) of n samples is within eps of
z ~ U[-1, 1] in at least a fraction q of T trials (`solve(..., method="fixed")`), for samples
Uniform[-1, 1] (Theorem 2's example) and for the construction's candidates a·b, a ~ U[0, 1],
b ~ U[-1, 1], at eps (default 0.01), and for Uniform samples at eps / 10. k is an integer, so
the measured n moves in steps: it is the first n at which round(gamma n) reaches the size the
error needs. Columns: Theorem 2's n at c = 1 and Theorem 5's at d = 1 (both with k = gamma n,
`rfss_sufficient_n`, `natale_lower_bound_n` solved for n), and `shape` = n H2(k/n) /
log2(k/eps) of the measured n (Theorem 2 at c = 1 is shape 1, Theorem 5 is 1/2).

Part 2 (the construction, `approx run --construction natale --density gamma`): widths 4-4-2,
eps = 0.05; the smallest n (every layer) with certified error <= eps in at least 80% of S seeds,
the ticket's measured density there, and Theorem 3's n at the default C.

    python scripts/reproduce_natale.py            # T = 1000, S = 10 (several minutes)
    python scripts/reproduce_natale.py --quick    # T = 200, S = 4

Writes <out>/density_curve.{md,csv,png} (and --json FILE) and prints the tables.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import torch

from approx.basics import defaults
from approx.basics.progress import progress_bar
from approx.constructions.natale import binary_entropy, natale_samples_per_weight
from approx.engine.subset_sum import solve
from approx.experiments.figures import plot_density_curve
from approx.pipeline.run import run

DENSITIES = (0.5, 0.3, 0.2, 0.1, 0.05)


def samples(law: str, gen: torch.Generator, trials: int, n: int) -> torch.Tensor:
    u = torch.rand(trials, n, generator=gen, dtype=torch.float64) * 2 - 1  # (T, n)
    if law == "uniform":
        return u
    return u * torch.rand(trials, n, generator=gen, dtype=torch.float64)  # a·b, a ~ U[0, 1]


def subset_size(gamma: float, n: int) -> int:
    return max(1, round(gamma * n))


def needed_n(law, gamma, eps, q, trials, n_max, gen) -> float:
    """Smallest n in 2..n_max with success >= q (fresh samples and targets per n); inf if none."""
    for n in range(2, n_max + 1):
        k = subset_size(gamma, n)
        if k > n // 2 and gamma <= 0.5:
            continue  # Theorem 2's range k <= n/2
        z = torch.rand(trials, generator=gen, dtype=torch.float64) * 2 - 1
        err = solve(samples(law, gen, trials, n), z, method="fixed", size=k).error
        if float((err <= eps).double().mean()) >= q:
            return float(n)
    return math.inf


def bound_n(gamma: float, eps: float, c: float) -> int:
    """Smallest n with n H2(gamma) >= c log2(max(1, gamma n)/eps) (the theorems at k = gamma n)."""
    n = 2
    while n * binary_entropy(gamma) < c * math.log2(max(1.0, gamma * n) / eps):
        n += 1
    return n


def part1(args, gen) -> list[dict]:
    """Three series: uniform and product samples at eps, uniform samples at eps / 10."""
    rows = []
    series = (("uniform", args.eps), ("product", args.eps), ("uniform", args.eps / 10))
    with progress_bar(len(series) * len(DENSITIES), desc="density curve", unit="point") as bar:
        for law, eps in series:
            for gamma in DENSITIES:
                n = needed_n(law, gamma, eps, args.q, args.trials, args.n_max, gen)
                k = subset_size(gamma, int(n)) if math.isfinite(n) else None
                shape = (
                    n * binary_entropy(k / n) / math.log2(max(k, 1) / eps)
                    if k is not None
                    else None
                )
                rows.append(
                    {
                        "series": f"{law} samples, eps = {eps:g}",
                        "eps": eps,
                        "density": gamma,
                        "n_needed": n,
                        "k": k,
                        "upper": bound_n(gamma, eps, 1.0),
                        "lower": bound_n(gamma, eps, 0.5),
                        "shape": shape,
                    }
                )
                bar.update(1)
    return rows


def part2(args) -> list[dict]:
    rows = []
    widths, eps = (4, 4, 2), 0.05
    with progress_bar(3, desc="natale runs", unit="density") as bar:
        for gamma in (0.3, 0.2, 0.1):
            found = None
            for n in range(4, 63, args.step):
                rs = [
                    run(widths=widths, construction="natale", density=gamma, n=n, eps=eps,
                        seed=s, empirical_samples=1, ascent_steps=0)
                    for s in range(args.seeds)
                ]  # fmt: skip
                if sum(r.certified_within_eps for r in rs) >= 0.8 * args.seeds:
                    found = (n, max(r.density for r in rs))
                    break
            theorem = natale_samples_per_weight(widths, eps, gamma, defaults.C["natale"])
            rows.append(
                {
                    "density": gamma,
                    "n_needed": found[0] if found else math.inf,
                    "measured_density_max": found[1] if found else None,
                    "theorem_n": list(theorem),
                    "seeds": args.seeds,
                }
            )
            bar.update(1)
    return rows


def tables(rows1, rows2, args) -> str:
    def fmt(v, f="{:,.0f}"):
        return "—" if v is None else ("> n_max" if v == math.inf else f.format(v))

    lines = [
        f"Part 1: samples n per weight for a subset of exactly k = round(gamma n) within "
        f"eps of z ~ U[-1, 1] in >= {args.q:.0%} of {args.trials} trials",
        "",
        "| samples | density gamma | n needed | k | Theorem 2 n (c = 1) | Theorem 5 n (d = 1) "
        "| shape n H2(k/n) / log2(k/eps) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows1:
        lines.append(
            f"| {r['series']} | {r['density']:g} | {fmt(r['n_needed'])} | {fmt(r['k'])} | "
            f"{r['upper']} | {r['lower']} | {fmt(r['shape'], '{:.2f}')} |"
        )
    lines += [
        "",
        "Part 2: approx run --construction natale --density gamma, widths 4-4-2, eps = 0.05: "
        f"smallest n with certified error <= eps in >= 80% of {args.seeds} seeds",
        "",
        "| density gamma | n needed | ticket density (max over seeds) | Theorem 3 n "
        f"(C = {defaults.C['natale']:g}) |",
        "|---|---|---|---|",
    ]
    for r in rows2:
        lines.append(
            f"| {r['density']:g} | {fmt(r['n_needed'])} | "
            f"{fmt(r['measured_density_max'], '{:.3f}')} | {r['theorem_n']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="T = 200, S = 4 seeds")
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--q", type=float, default=0.5, help="success fraction (Theorem 2's constant)")
    ap.add_argument("--n-max", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/reproduce_natale"))
    ap.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    if not 0 < args.q < 1 or not 0 < args.eps < 1 / 16:
        ap.error(f"--q={args.q} must lie in (0, 1) and --eps={args.eps} in (0, 1/16)")
    args.trials, args.seeds, args.step = (200, 4, 4) if args.quick else (1000, 10, 2)
    t0 = time.perf_counter()
    rows1 = part1(args, torch.Generator().manual_seed(args.seed))
    rows2 = part2(args)
    text = tables(rows1, rows2, args) + f"\n\n({time.perf_counter() - t0:.1f} s)"
    if args.quick:
        text = "QUICK mode (fewer trials and seeds)\n\n" + text
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "density_curve.md").write_text(text + "\n")
    with open(args.out / "density_curve.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows1[0]))
        writer.writeheader()
        writer.writerows(rows1)
    if args.json is not None:
        args.json.write_text(json.dumps({"density_curve": rows1, "construction": rows2}))
    if not args.no_plot:
        path = plot_density_curve(rows1, args.out / "density_curve.png")
        print(f"\nwrote {args.out}/density_curve.md, .csv and {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
