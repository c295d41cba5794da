"""Error vs samples per weight n, reported like da Cunha, Natale & Viennot 2022 (ICLR, "Proving
the lottery ticket hypothesis for convolutional neural networks"): the maximum relative
weight error and the maximum relative output error of the pruned random network, for
n in {5, 10, ..., 30} — here on MLP targets (their experiment pruned LeNet5's conv part).

Their values (read off their shipped figures; docs/references.md, da Cunha et al. 2022 (CNN)),
max relative output error: n=5: 0.5, 10: 0.14, 15: 5.5e-3, 20: 3.5e-4, 25: 2.7e-5, 30: 2.4e-6.

Our definitions (theirs, in their code, are per parameter array and per output entry on
LeNet5's convolutional part; docs/references.md compares the two):
- max relative weight error = max over target weights and both half-lines of |w_hat - w| divided
  by max |w| (the realised matrices P_i, N_i of the construction against W_i);
- max relative output error = max_x ||g(x) - f(x)||_2 / max_x ||f(x)||_2 over 4096 random
  points x of the unit sphere, with g the masked random network evaluated densely (not through
  P_i, N_i) and f the target. Normalised by the largest output, like the weight error: a ratio
  per input blows up where f(x) is near 0.
Also the certified bound on sup_{||x||<=1} ||f - g|| (absolute).

    python scripts/reproduce_dacunha.py           # full: two MLPs, n = 5..30, 3 seeds
    python scripts/reproduce_dacunha.py --quick   # one small MLP, n = 5, 10, 15, 1 seed
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from approx.basics.errors import InvalidArgument
from approx.basics.files import check_writable_file, write_text_atomic
from approx.basics.progress import progress_bar
from approx.pipeline.run import run

PUBLISHED = {5: 0.5, 10: 0.14, 15: 5.5e-3, 20: 3.5e-4, 25: 2.7e-5, 30: 2.4e-6}


def relative_errors(result, inputs: int, seed: int) -> tuple[float, float]:
    """(max relative weight error, max relative output error) of one `RunResult`."""
    art = result.artifacts
    target, pruned = art.target, art.pruned
    w_err = max(
        float(torch.maximum((lay.P - w).abs().max(), (lay.N - w).abs().max()) / w.abs().max())
        for lay, w in zip(pruned.layers, target.weights, strict=True)
    )
    g = pruned.masks.apply(art.random_net)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(inputs, target.widths[0], generator=gen, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)  # (inputs, d_0), unit sphere
    fx, gx = target.forward(x), g.forward(x)  # (inputs, d_l)
    out_err = float((gx - fx).norm(dim=1).max() / fx.norm(dim=1).max())
    return w_err, out_err


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--construction", default="pensia")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.json:
        try:
            check_writable_file(args.json, "--json")
        except InvalidArgument as e:
            ap.error(str(e))
    if args.quick:
        shapes, ns, seeds = [(16, 16, 10)], [5, 10, 15], [0]
    else:
        shapes, ns, seeds = [(32, 32, 32, 10), (64, 64, 10)], list(range(5, 31, 5)), [0, 1, 2]
    mode = "QUICK" if args.quick else "full"
    print(
        f"da Cunha et al. 2022 style: error vs samples per weight n ({mode} mode), "
        f"construction {args.construction}, random MLP targets (||W_i||_2 = 1), exact solver; "
        f"maxima over {len(seeds)} seed(s)\n"
    )
    cols = [
        f"{'target':<12}",
        f"{'n':>3}",
        f"{'max rel. weight err':>19}",
        f"{'max rel. output err':>19}",
        f"{'published (LeNet5 conv)':>23}",
        f"{'certified sup err':>17}",
        f"{'seconds':>7}",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join("-" * (len(c) + 2) for c in cols) + "|")
    out = []
    bar = progress_bar(len(shapes) * len(ns), desc="rows", unit="row", ticking=True)
    for shape in shapes:
        for n in ns:
            bar.update(1)
            t0 = time.perf_counter()
            w_err = o_err = cert = 0.0
            pub = f"{PUBLISHED[n]:.1e}" if n in PUBLISHED else "-"
            name = "-".join(map(str, shape))
            try:
                for seed in seeds:
                    r = run(
                        widths=shape,
                        n=n,
                        construction=args.construction,
                        seed=seed,
                        empirical_samples=64,
                        ascent_steps=0,
                    )
                    we, oe = relative_errors(r, 4096, seed)
                    w_err, o_err = max(w_err, we), max(o_err, oe)
                    cert = max(cert, r.certified_error)
            except InvalidArgument as e:  # e.g. more coefficients than the solver takes
                bar.write(f"| {name:<12} | {n:>3} | refused by run(): {e}", file=sys.stdout)
                out.append({"target": list(shape), "n": n, "refused": str(e)})
                continue
            secs = time.perf_counter() - t0
            bar.write(
                f"| {name:<12} | {n:>3} | {w_err:>19.2e} | {o_err:>19.2e} | {pub:>23} | "
                f"{cert:>17.2e} | {secs:>7.1f} |",
                file=sys.stdout,
            )
            out.append(
                {
                    "target": list(shape),
                    "n": n,
                    "seeds": seeds,
                    "max_relative_weight_error": w_err,
                    "max_relative_output_error": o_err,
                    "certified_error": cert,
                    "published_output_error": PUBLISHED.get(n),
                    "seconds": secs,
                }
            )
    bar.close()
    if args.json:  # checked before any work; written whole or not at all
        write_text_atomic(args.json, json.dumps({"mode": mode, "results": out}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
