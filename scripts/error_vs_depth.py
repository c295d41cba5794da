"""How does the error grow with depth? Pensia's and Malach's constructions, each at a fixed
per-layer n (`defaults.DEPTH_ERROR_N`), targets of depth l = 1, 2, 4, 8, … (random targets of
width 4, and the scalar ReLU chain): certified and empirical error against Σ e_i, the
per-layer bound (e − 1)·Σ e_i and the product bound Π(1 + e_i) − 1
(approx.experiments.questions.composition says what each is).

    python scripts/error_vs_depth.py            # quick: depths 1-16, 10 seeds (minutes)
    python scripts/error_vs_depth.py --full     # depths 1-32, 50 seeds (the paper figure)
    python scripts/error_vs_depth.py --smoke    # the test's setting (seconds)

Writes <out>/error_vs_depth.json (every run and the summary), error_vs_depth.{png,pdf} and
error_vs_depth_ratios.{png,pdf}; prints the table. docs/questions.md quotes it.
"""

from __future__ import annotations

import sys
import time

from approx.basics import defaults
from approx.basics.errors import InvalidArgument
from approx.cli.common import Parser
from approx.experiments.figures.common import save
from approx.experiments.figures.questions import fig_error_vs_depth, fig_error_vs_depth_ratios
from approx.experiments.questions.common import prepare_out, scale_settings, write_json
from approx.experiments.questions.composition import (
    FAMILIES,
    composition_runs,
    composition_summary,
)
from approx.experiments.threads import limit_threads


def _fmt(stat) -> str:
    return "—" if not stat or stat["median"] is None else f"{stat['median']:.3g}"


def table(summary: dict) -> str:
    lines = [
        "| construction | targets | n | l | certified | empirical | emp./size | Σ e_i | "
        "(e-1)Σ e_i | Π(1+e_i)-1 | 1-Π(1-e_i) | cert./Σ | emp./Σ |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for g in summary["groups"]:
        for p in g["points"]:
            lines.append(
                f"| {g['construction']} | {g['family']} | {g['n']} | {p['depth']} | "
                + " | ".join(
                    _fmt(p[k])
                    for k in (
                        "certified",
                        "empirical",
                        "relative_empirical",
                        "sum",
                        "sum_bound",
                        "product_bound",
                        "undershoot",
                        "certified_over_sum",
                        "empirical_over_sum",
                    )
                )
                + " |"
            )
    lines.append("")
    for g in summary["groups"]:
        beta = {k: ("—" if v is None else f"{v:.2f}") for k, v in g["growth"].items()}
        lines.append(
            f"- {g['construction']}, {g['family']}: median ~ l^beta with beta = "
            + ", ".join(f"{k} {v}" for k, v in beta.items())
            + f"; runs breaking empirical <= certified <= product: {g['order_broken']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0])
    scale = ap.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_true", help="the default scale (minutes)")
    scale.add_argument("--full", action="store_true", help="paper scale (an hour or more)")
    scale.add_argument("--smoke", action="store_true", help="the test's scale (seconds)")
    ap.add_argument("--seed", type=int, default=None, help=f"(default {defaults.SEED})")
    ap.add_argument("--out", default=None, help="output directory (default results/questions)")
    ap.add_argument("--no-plot", action="store_true", help="write the JSON only")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    name = "full" if args.full else "smoke" if args.smoke else "quick"
    seed = defaults.SEED if args.seed is None else args.seed
    limit_threads()  # one compute thread: the machine is shared
    try:
        out = prepare_out(args.out or "results/questions")
        s = scale_settings(defaults.DEPTH_ERROR, name)
        t0 = time.perf_counter()
        rows = composition_runs(
            constructions=sorted(defaults.DEPTH_ERROR_N),  # the constructions it has an n for
            families=FAMILIES,
            depths=s["depths"],
            n=defaults.DEPTH_ERROR_N,
            width=defaults.DEPTH_ERROR_WIDTH,
            seeds=s["seeds"],
            seed=seed,
            empirical_samples=s["empirical_samples"],
            ascent_steps=s["ascent_steps"],
            progress=not args.quiet,
        )
    except InvalidArgument as e:
        print(f"error_vs_depth: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    summary = composition_summary(rows)
    print(
        f"Error vs depth ({name} scale, seed {seed}, {seconds:.0f} s on a shared machine, "
        "one thread)\n"
    )
    print(table(summary))
    payload = {"scale": name, "seed": seed, "settings": s, "seconds": seconds}
    write_json(out / "error_vs_depth.json", {**payload, "summary": summary, "runs": rows})
    if not args.no_plot:
        save(fig_error_vs_depth(summary), out, "error_vs_depth", ("png", "pdf"))
        save(fig_error_vs_depth_ratios(summary), out, "error_vs_depth_ratios", ("png", "pdf"))
    print(f"\nwrote {out}/error_vs_depth.json" + ("" if args.no_plot else " and the figures"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
