"""The headline comparison: how many candidate units per target weight each construction needs
for a per-weight error <= eps, eps from 1e-1 to 1e-4.

- single best product (Malach et al. 2020): keep the one candidate closest to w;
- exact subset sum (Pensia et al. 2020): keep the best subset (the exact engine);
- greedy subset sum: add the candidate that most reduces the residual while one does.

Setting (one half-line of one target weight, as in both constructions): the candidates are
the products `a·b` of the units of the right sign, `a ~ U[0, 1]`, `b ~ U[-1, 1]` (with n samples
per weight a construction has Binomial(2n, 1/2) such units per sign, mean n); the target weight
`w ~ U[-w_max, w_max]`, `w_max = 1/2` by default (Malach's entry bound at fan-in 4). Per trial,
each method's first candidate count k at which its error is <= eps (prefixes of one stream of
candidates per trial: exact's error is monotone in k; greedy is evaluated on a geometric grid of
k, so its counts are rounded up to that grid). The figure is n*(eps) = the q-quantile of those
counts over trials (default q = 0.9: 90% of target weights within eps), with a 95% bootstrap
percentile interval; fitted exponents alpha in n* ~ eps^-alpha (least squares in log-log), and
for exact also candidates per decade of 1/eps (n* ~ a + b log10(1/eps)).

Prediction for the single best product (docs/malach.md): a candidate hits [w - eps, w + eps]
w.p. p = integral of ln(1/|z|)/2 over that window ~ eps ln(1/|w|), so n* ~ 1/eps (alpha = 1)
whenever the targets stay away from |w| = 1; only at |w| = 1 is p ~ eps^2/4 and n* ~ eps^-2.
The dashed lines are that prediction, computed from the exact law (no fit). The extra series
"single, |w| = 1" measures the worst case.

    python scripts/compare_malach_pensia.py            # 1000 trials (about a minute on 2 cores)
    python scripts/compare_malach_pensia.py --quick    # 200 trials, seconds
    python scripts/compare_malach_pensia.py --w-max 1  # targets over all of [-1, 1]

Writes <out>/candidates_vs_eps.{md,csv,png} and prints the table, the exponents, and the
greedy-vs-exact quality/speed table.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import time
from pathlib import Path

import numpy as np
import torch

from approx.basics.errors import InvalidArgument
from approx.basics.files import check_writable_dir, write_text_atomic
from approx.basics.progress import progress_bar
from approx.constructions.malach import hit_probability
from approx.engine.subset_sum import solve

EPS = tuple(10 ** -(1 + i / 2) for i in range(7))  # 1e-1, 3.2e-2, ..., 1e-4
SINGLE_CAP = 4_000_000  # candidates per trial before the single best product gives up


def products(gen: torch.Generator, shape: tuple[int, ...]) -> torch.Tensor:
    """Candidates on one half-line: `a·b`, `a ~ U[0, 1]`, `b ~ U[-1, 1]`."""
    a = torch.rand(shape, generator=gen, dtype=torch.float64)
    b = torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1
    return a * b


def single_first_hits(
    w: torch.Tensor, eps: tuple[float, ...], gen: torch.Generator, cap: int, chunk: int = 8192
) -> np.ndarray:
    """(trials, len(eps)): the index (1-based) of the first candidate within eps of w, 0 when
    |w| <= eps already (the empty choice), inf past `cap`."""
    T, e = len(w), torch.tensor(eps, dtype=torch.float64)
    hits = torch.full((T, len(eps)), math.inf, dtype=torch.float64)
    hits[w.abs()[:, None] <= e] = 0
    seen = 0
    while seen < cap:
        open_rows = torch.isinf(hits).any(1).nonzero().squeeze(1)
        if open_rows.numel() == 0:
            break
        gap = (products(gen, (open_rows.numel(), chunk)) - w[open_rows, None]).abs()
        first_gap = gap.cummin(1).values  # (rows, chunk): best so far within this chunk
        for i, eps_i in enumerate(eps):
            ok = first_gap <= eps_i
            idx = ok.to(torch.int8).argmax(1)  # first True, 0 if none
            found = ok.any(1)
            rows = open_rows[found]
            new = torch.isinf(hits[rows, i])
            hits[rows[new], i] = seen + idx[found][new].double() + 1
        seen += chunk
    return hits.numpy()


def exact_first_hits(w: torch.Tensor, eps: tuple[float, ...], coeffs: torch.Tensor) -> np.ndarray:
    """First prefix length k (of `coeffs` `(trials, K)`) at which the exact optimum is within
    eps; 0 when |w| <= eps; inf past K. Exact's error never grows with k."""
    e = torch.tensor(eps, dtype=torch.float64)
    hits = torch.full((len(w), len(eps)), math.inf, dtype=torch.float64)
    hits[w.abs()[:, None] <= e] = 0
    for k in range(1, coeffs.shape[1] + 1):
        rows = torch.isinf(hits).any(1).nonzero().squeeze(1)
        if rows.numel() == 0:
            break
        err = solve(coeffs[rows, :k].contiguous(), w[rows], method="exact").error
        ok = (err[:, None] <= e) & torch.isinf(hits[rows])
        hits[rows[:, None].expand_as(ok)[ok], ok.nonzero()[:, 1]] = k
    return hits.numpy()


def grid(cap: int, ratio: float = 1.2) -> list[int]:
    ks, k = [], 1.0
    while round(k) <= cap:
        if not ks or round(k) > ks[-1]:
            ks.append(round(k))
        k *= ratio
    return ks


def greedy_first_hits(
    w: torch.Tensor, eps: tuple[float, ...], gen: torch.Generator, ks: list[int]
) -> np.ndarray:
    """First k of the grid `ks` at which greedy on the first k candidates is within eps."""
    e = torch.tensor(eps, dtype=torch.float64)
    hits = torch.full((len(w), len(eps)), math.inf, dtype=torch.float64)
    hits[w.abs()[:, None] <= e] = 0
    coeffs = products(gen, (len(w), ks[-1]))
    for k in ks:
        rows = torch.isinf(hits).any(1).nonzero().squeeze(1)
        if rows.numel() == 0:
            break
        err = solve(coeffs[rows, :k].contiguous(), w[rows], method="greedy").error
        ok = (err[:, None] <= e) & torch.isinf(hits[rows])
        hits[rows[:, None].expand_as(ok)[ok], ok.nonzero()[:, 1]] = k
    return hits.numpy()


def quantile_ci(
    counts: np.ndarray, q: float, rng: np.random.Generator, boot: int = 2000
) -> tuple[float, float, float]:
    """The q-quantile of `counts` (the smallest count reaching a fraction q: inverted CDF)
    and a 95% bootstrap percentile interval over trials; inf where censored."""
    est = float(np.quantile(counts, q, method="inverted_cdf"))
    idx = rng.integers(0, len(counts), size=(boot, len(counts)))
    qs = np.quantile(counts[idx], q, axis=1, method="inverted_cdf")
    return est, float(np.quantile(qs, 0.025)), float(np.quantile(qs, 0.975))


def predicted_single(eps: float, q: float, w_max: float, point: bool) -> float:
    """The q-quantile of the single best product's count from the exact law: P(count > k) =
    E_w[(1 − p(w, eps))^k], p = 2·hit_probability (a candidate here already has the right
    sign); w uniform on [0, w_max] (midpoint rule, 4000 points) or w = w_max (`point`)."""
    ws = np.array([w_max]) if point else (np.arange(4000) + 0.5) / 4000 * w_max
    p = np.array([2 * hit_probability(float(x), eps) for x in ws])
    p0 = (ws <= eps).astype(float)  # the empty choice already suffices

    def fail(k: float) -> float:
        return float(np.mean((1 - p0) * (1 - p) ** k))

    lo, hi = 0.0, 1.0
    while fail(hi) > 1 - q:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fail(mid) > 1 - q else (lo, mid)
    return math.ceil(hi)


def fit_power(eps: list[float], n: list[float]) -> float | None:
    """alpha in n ~ eps^-alpha, least squares in log-log over finite, positive points."""
    pts = [(math.log(1 / e), math.log(v)) for e, v in zip(eps, n, strict=True) if 0 < v < math.inf]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def fit_per_decade(eps: list[float], n: list[float]) -> float | None:
    """b in n ~ a + b log10(1/eps)."""
    pts = [(math.log10(1 / e), v) for e, v in zip(eps, n, strict=True) if 0 < v < math.inf]
    if len(pts) < 2:
        return None
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])


def greedy_vs_exact(gen: torch.Generator, w_max: float, trials: int, ks: tuple[int, ...]):
    """Quality (median and 90% quantile of the error) and speed (instances/s, best of 5: the
    machine is shared, the fastest run is the least disturbed) of exact vs greedy vs single
    best at equal k, on the same instances."""
    rows = []
    for k in ks:
        c = products(gen, (trials, k))
        w = (torch.rand(trials, generator=gen, dtype=torch.float64) * 2 - 1) * w_max
        row = {"k": k}
        for method in ("exact", "greedy"):
            solve(c[:8], w[:8], method=method)  # warm-up (numba compile on first use)
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                err = solve(c, w, method=method).error
                times.append(time.perf_counter() - t0)
            row[f"{method}_median"] = float(err.median())
            row[f"{method}_q90"] = float(err.quantile(0.9))
            row[f"{method}_per_s"] = trials / min(times)
        single = (c - w[:, None]).abs().min(1).values.minimum(w.abs())
        row["single_median"], row["single_q90"] = (
            float(single.median()),
            float(single.quantile(0.9)),
        )
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 trials, smaller caps (seconds)")
    ap.add_argument("--trials", type=int, help="trials per method (default 1000, quick 200)")
    ap.add_argument("--q", type=float, default=0.9, help="fraction of weights within eps")
    ap.add_argument("--w-max", type=float, default=0.5, help="targets w ~ U[-w_max, w_max]")
    ap.add_argument("--eps", type=int, default=len(EPS), help="how many of the eps values")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/compare_malach_pensia"))
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    if not 0 < args.q < 1 or not 0 < args.w_max <= 1:
        ap.error(f"--q={args.q} and --w-max={args.w_max} must lie in (0, 1)")
    try:
        check_writable_dir(args.out, "--out")  # before any work
    except InvalidArgument as e:
        ap.error(str(e))
    trials = args.trials or (200 if args.quick else 1000)
    eps = EPS[: args.eps]
    exact_cap, greedy_cap = (28, 2**12) if args.quick else (34, 2**14)
    worst_eps = tuple(e for e in eps if e >= (1e-2 if args.quick else 10**-2.5))
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    w = (torch.rand(trials, generator=gen, dtype=torch.float64) * 2 - 1) * args.w_max
    target = f"U[-{args.w_max:g},{args.w_max:g}]"
    t0 = time.perf_counter()
    jobs = [  # run in this order: they draw from `gen` one after another
        (
            ("single best product (Malach)", target),
            lambda: single_first_hits(w, eps, gen, SINGLE_CAP),
        ),
        (("greedy subset sum", target), lambda: greedy_first_hits(w, eps, gen, grid(greedy_cap))),
        (
            ("exact subset sum (Pensia)", target),
            lambda: exact_first_hits(w, eps, products(gen, (trials, exact_cap))),
        ),
        (
            ("single best product (Malach)", "|w| = 1"),
            lambda: single_first_hits(
                torch.where(w < 0, -1.0, 1.0).to(torch.float64)[: max(50, trials // 5)],
                worst_eps,
                gen,
                SINGLE_CAP,
            ),
        ),
    ]
    series = {}
    with progress_bar(len(jobs), desc="methods", unit="method", ticking=True) as bar:
        for key, job in jobs:
            series[key] = job()
            bar.update(1)
    seconds = time.perf_counter() - t0
    caps = {
        "single best product (Malach)": SINGLE_CAP,
        "greedy subset sum": greedy_cap,
        "exact subset sum (Pensia)": exact_cap,
    }
    rows = []
    for (method, tgt), hits in series.items():
        eps_here = worst_eps if tgt == "|w| = 1" else eps
        for i, e in enumerate(eps_here):
            n, lo, hi = quantile_ci(hits[:, i], args.q, rng)
            pred = (
                predicted_single(
                    e, args.q, 1.0 if tgt == "|w| = 1" else args.w_max, tgt == "|w| = 1"
                )
                if method.startswith("single")
                else None
            )
            rows.append(
                {
                    "method": method,
                    "targets": tgt,
                    "eps": e,
                    "n_needed": n,
                    "ci_low": lo,
                    "ci_high": hi,
                    "predicted": pred,
                    "trials": hits.shape[0],
                    "censored": int(np.isinf(hits[:, i]).sum()),
                    "cap": caps[method],
                }
            )

    def fmt(v):
        if v is None:
            return "—"
        return "> cap" if v == math.inf else f"{v:,.0f}"

    lines = [
        f"Candidates per weight (one half-line) for per-weight error <= eps in {args.q:.0%} of "
        f"target weights; 95% bootstrap interval; seed {args.seed}, {trials} trials",
        "",
        "| method | targets | eps | n needed | 95% CI | predicted | censored |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['targets']} | {r['eps']:.1e} | {fmt(r['n_needed'])} | "
            f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}] | {fmt(r['predicted'])} | "
            f"{r['censored']}/{r['trials']} |"
        )
    lines += ["", "Fitted exponents (n ~ eps^-alpha, least squares in log-log):", ""]
    fits = []
    for method, tgt in series:
        pts = [r for r in rows if r["method"] == method and r["targets"] == tgt]
        es, ns = [r["eps"] for r in pts], [r["n_needed"] for r in pts]
        alpha, per_decade = fit_power(es, ns), fit_per_decade(es, ns)
        tail = fit_power(es[-3:], ns[-3:]) if len(es) > 3 else None
        fits.append(
            {
                "method": method,
                "targets": tgt,
                "alpha": alpha,
                "alpha_smallest_3_eps": tail,
                "per_decade": per_decade,
            }
        )
        a = "—" if alpha is None else f"{alpha:.2f}"
        t = "" if tail is None else f" (over the 3 smallest eps: {tail:.2f})"
        extra = f"; {per_decade:,.1f} candidates per decade of 1/eps" if per_decade else ""
        lines.append(f"- {method}, {tgt}: alpha = {a}{t}{extra}")
    speed = greedy_vs_exact(gen, args.w_max, 200 if args.quick else 2000, (8, 16, 24, 28))
    lines += [
        "",
        "Greedy vs exact vs single best on the same instances (error quantiles; instances/s):",
        "",
        "| k | exact median | greedy median | single median | exact q90 | greedy q90 | "
        "single q90 | exact inst/s | greedy inst/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in speed:
        lines.append(
            f"| {s['k']} | {s['exact_median']:.1e} | {s['greedy_median']:.1e} | "
            f"{s['single_median']:.1e} | {s['exact_q90']:.1e} | {s['greedy_q90']:.1e} | "
            f"{s['single_q90']:.1e} | {s['exact_per_s']:,.0f} | {s['greedy_per_s']:,.0f} |"
        )
    lines += [
        "",
        f"({seconds:.1f} s for the candidate counts, torch threads {torch.get_num_threads()})",
    ]
    text = "\n".join(lines)
    print(text)

    args.out.mkdir(parents=True, exist_ok=True)
    table = io.StringIO(newline="")
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(args.out / "candidates_vs_eps.md", text + "\n")
    write_text_atomic(args.out / "candidates_vs_eps.csv", table.getvalue())
    if not args.no_plot:
        from approx.experiments.figures import plot_candidates_vs_eps

        path = plot_candidates_vs_eps(rows, fits, args.out / "candidates_vs_eps.png", q=args.q)
        print(f"\nwrote {args.out}/candidates_vs_eps.md, .csv and {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
