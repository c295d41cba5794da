"""How wide is wide enough, in practice? For every construction approx tightness supports, the
samples per weight n it needs at the theorem's delta (>= 1 - delta of the seeds meet eps) beside
the n its theorem asks for, over the target width d, depth l and eps, with the exponents of
both fitted in the theorems' growth model (approx.experiments.questions.width says which).

    python scripts/width_in_practice.py            # quick: d 2-8, l 1-3, 5 seeds (minutes)
    python scripts/width_in_practice.py --full     # d 2-16, l 1-6, 40 seeds, sandwich counts
    python scripts/width_in_practice.py --smoke    # the test's setting (seconds)

Writes <out>/width_in_practice.json (every row and the fits), width_in_practice.{png,pdf};
keeps every probe run in <out>/width_in_practice_<scale>.sqlite (a rerun reuses them); prints
the tables. docs/questions.md quotes it.
"""

from __future__ import annotations

import sys
import time

from approx.basics import defaults
from approx.basics.errors import InvalidArgument
from approx.cli.common import Parser
from approx.experiments.figures.common import save
from approx.experiments.figures.questions import fig_width_in_practice
from approx.experiments.questions.common import prepare_out, scale_settings, write_json
from approx.experiments.questions.width import FACTORS, width_runs, width_summary
from approx.experiments.threads import limit_threads
from approx.experiments.tightness import constructions_named


def _n(v) -> str:
    return "unbounded" if v is None else f"{v:,.0f}"


def _exp(stat: dict | None) -> str:
    if stat is None or stat["beta"] is None:
        return "—"
    if stat["lo"] is None:
        return f"{stat['beta']:.2f}"
    return f"{stat['beta']:.2f} [{stat['lo']:.2f}, {stat['hi']:.2f}]"


def table(summary: dict) -> str:
    lines = [
        "| construction | d | l | eps | n needed [95% CI] | theorem n | theorem / needed | "
        "params needed | params theorem |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for g in summary["groups"]:
        for r in g["rows"]:
            ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
            lines.append(
                f"| {r['construction']} | {r['d']} | {r['l']} | {r['eps']:g} | "
                f"{_n(r['n_needed'])} [{_n(r['n_lo'])}, {_n(r['n_hi'])}] | {r['theorem_n']:,} | "
                f"{ratio} | {_n(r['params_needed'])} | {r['params_theorem']:,} |"
            )
    lines += [
        "",
        "| construction | model: ln n on ln d, ln l and | fit of | alpha_d | alpha_l | alpha_eps "
        "| rows (dof) | R² |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for g in summary["groups"]:
        for which in ("needed", "theorem"):
            f = g[f"{which}_fit"]
            if f is None:
                continue
            r2 = "—" if f["r2"] is None else f"{f['r2']:.3f}"
            lines.append(
                f"| {g['construction']} | {g['eps_term']} | n {which} | "
                + " | ".join(_exp(f[k]) for k in FACTORS)
                + f" | {f['rows']} ({f['dof']}) | {r2} |"
            )
    beyond = [f"{g['construction']} {g['beyond_reach']}" for g in summary["groups"]]
    lines.append(
        f"\nrows whose n needed is beyond reach (left out of the fit): {', '.join(beyond)}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0])
    scale = ap.add_mutually_exclusive_group()
    scale.add_argument("--quick", action="store_true", help="the default scale (minutes)")
    scale.add_argument("--full", action="store_true", help="paper scale (hours)")
    scale.add_argument("--smoke", action="store_true", help="the test's scale (seconds)")
    ap.add_argument("--out", default=None, help="output directory (default results/questions)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    ap.add_argument("--no-plot", action="store_true", help="write the JSON only")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    name = "full" if args.full else "smoke" if args.smoke else "quick"
    limit_threads()  # one compute thread per process: the machine is shared
    try:
        out = prepare_out(args.out or "results/questions")
        s = scale_settings(defaults.WIDTH_IN_PRACTICE, name)
        names = constructions_named(
            ["all"] if s["constructions"] == "all" else list(s["constructions"])
        )
        eps = {
            c: defaults.TIGHTNESS_EPS_BY.get(c, defaults.TIGHTNESS_EPS)[: s["eps_count"]]
            for c in names
        }
        t0 = time.perf_counter()
        rows = width_runs(
            constructions=names,
            widths=s["widths"],
            depths=s["depths"],
            eps=eps,
            base=s["base"],
            delta=defaults.WIDTH_IN_PRACTICE_DELTA,
            seeds=s["seeds"],
            error=s["error"],
            store=out / f"width_in_practice_{name}.sqlite",
            workers=args.workers,
            progress=not args.quiet,
        )
    except InvalidArgument as e:
        print(f"width_in_practice: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    summary = width_summary(rows)
    print(
        f"Width in practice ({name} scale, seeds 0-{s['seeds'] - 1}, delta "
        f"{defaults.WIDTH_IN_PRACTICE_DELTA}, failures counted by the {s['error']} upper value, "
        f"{seconds:.0f} s on a shared machine)\n"
    )
    print(table(summary))
    settings = {**s, "eps": eps, "delta": defaults.WIDTH_IN_PRACTICE_DELTA}
    payload = {"scale": name, "settings": settings, "seconds": seconds, "summary": summary}
    write_json(out / "width_in_practice.json", payload)
    if not args.no_plot:
        save(fig_width_in_practice(summary), out, "width_in_practice", ("png", "pdf"))
    print(f"\nwrote {out}/width_in_practice.json" + ("" if args.no_plot else " and the figure"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
