"""Why does the target's depth matter? Telgarsky's sawtooth t^l (2^l linear pieces on [0, 1])
as a bias-free depth-(l+1) target on inputs (x, 1)/sqrt(2): Pensia et al.'s depth-2(l+1)
random network (exact subset sum) against depth-2 random networks of growing width (lower
bounds on their best subnetwork, and a greedy search), error vs parameters; and the
parameters each needs for a relative error of 0.25 (approx.experiments.questions.separation
says what each number is).

    python scripts/depth_separation.py           # quick: l = 2 … 6, 6 seeds (minutes)
    python scripts/depth_separation.py --full    # l = 2 … 8, 10 seeds (the paper figure)
    python scripts/depth_separation.py --smoke   # the test's setting (seconds)

Writes <out>/depth_separation.json (every network and the summary),
depth_separation.{png,pdf} and depth_separation_needed.{png,pdf}; prints the tables.
"""

from __future__ import annotations

import sys
import time

from approx.basics import defaults
from approx.basics.errors import InvalidArgument
from approx.cli.common import Parser, int_list
from approx.experiments.figures.common import save
from approx.experiments.figures.questions import fig_separation_error, fig_separation_needed
from approx.experiments.questions.common import prepare_out, scale_settings, write_json
from approx.experiments.questions.separation import separation_runs, separation_summary
from approx.experiments.threads import limit_threads


def _fmt(v) -> str:
    if isinstance(v, dict):
        v = v["median"]
    return "—" if v is None else f"{v:.3g}"


def tables(summary: dict) -> str:
    lines = [
        "| side | l | n or width | params | certified | segment | lower bound | greedy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in summary["curves"]:
        for p in c["points"]:
            cells = (
                [p["certified"], p["segment"], None, None]
                if c["side"] == "deep"
                else [None, None, p["lp_lower_bound"], p["greedy"]]
            )
            lines.append(
                f"| {c['side']} | {c['l']} | {p['size']} | {p['params']:,} | "
                + " | ".join(_fmt(v) for v in cells)
                + " |"
            )
    lines += [
        "",
        f"Parameters needed for relative error <= {summary['level']:g} (median over seeds; "
        "'>' = not reached at the largest size tried):",
        "",
        "| l | deep, certified | deep, segment | depth 2, lower bound | depth 2, greedy | "
        "3(2^l - 1) |",
        "|---|---|---|---|---|---|",
    ]
    for n in summary["needed"]:

        def need(key, side, n=n):
            v = n.get(key)
            return f"{v:,}" if v else f"> {n[f'{side}_max_params']:,}"

        lines.append(
            f"| {n['l']} | {need('deep_certified', 'deep')} | {need('deep_segment', 'deep')} | "
            f"{need('shallow_lp_lower_bound', 'shallow')} | {need('shallow_greedy', 'shallow')} "
            f"| {n['pieces_bound']:,} |"
        )
    lines += [
        "",
        "How loose the lower bound is where every subnetwork can be enumerated (relative "
        "errors, median over seeds):",
        "",
        "| l | width | best subnetwork (brute force) | lower bound | bound / best (median, min) |",
        "|---|---|---|---|---|",
    ]
    for g in summary["relaxation_gap"]:
        lines.append(
            f"| {g['l']} | {g['width']} | {_fmt(g['best'])} | {_fmt(g['lower'])} | "
            f"{_fmt(g['lower_over_best'])}, {g['min_lower_over_best']:.3g} |"
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
    ap.add_argument(
        "--depths", type=int_list("--depths"), help="comma-separated l (default: the scale's)"
    )
    ap.add_argument("--seeds", type=int, default=None, help="seeds (default: the scale's)")
    ap.add_argument(
        "--max-width", type=int, default=None, help="widest depth-2 network (default: the scale's)"
    )
    ap.add_argument("--no-plot", action="store_true", help="write the JSON only")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    name = "full" if args.full else "smoke" if args.smoke else "quick"
    seed = defaults.SEED if args.seed is None else args.seed
    limit_threads()  # one compute thread: the machine is shared
    t0 = time.perf_counter()
    try:
        out = prepare_out(args.out or "results/questions")
        s = scale_settings(defaults.SEPARATION, name)
        if args.depths is not None:
            s["depths"] = args.depths
        if args.seeds is not None:
            s["seeds"] = args.seeds
        if args.max_width is not None:
            s["max_width"] = args.max_width
        rows = separation_runs(**s, seed=seed, progress=not args.quiet)
    except InvalidArgument as e:
        print(f"depth_separation: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    summary = separation_summary(rows, defaults.SEPARATION_LEVEL)
    print(
        f"Depth separation ({name} scale, seed {seed}, {seconds:.0f} s on a shared machine, "
        "one thread); errors relative to the target's range on x in [0, 1]\n"
    )
    print(tables(summary))
    payload = {"scale": name, "seed": seed, "settings": s, "seconds": seconds}
    write_json(out / "depth_separation.json", {**payload, "summary": summary, "runs": rows})
    if not args.no_plot:
        save(fig_separation_error(summary), out, "depth_separation", ("png", "pdf"))
        save(fig_separation_needed(summary), out, "depth_separation_needed", ("png", "pdf"))
    print(f"\nwrote {out}/depth_separation.json" + ("" if args.no_plot else " and the figures"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
