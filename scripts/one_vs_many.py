"""Why prune one big random network rather than many small ones? A budget of P parameters spent
on one random network (Pensia et al.'s construction, exact subset sum) or on K independent
networks of P/K parameters each, K = 1, 2, 4, 8, …: how often the best of them holds an
eps-ticket, and its error, for fresh random targets and for a target trained on
scikit-learn's digits (approx.experiments.questions.budget says what each number is).

    python scripts/one_vs_many.py            # quick: 100 random targets, 20 digits trials
    python scripts/one_vs_many.py --full     # 500 and 100 trials, K up to 24 (the paper figure)
    python scripts/one_vs_many.py --smoke    # the test's setting (seconds)

Writes <out>/one_vs_many.json (every network and the summary) and one_vs_many.{png,pdf};
prints the table. Without scikit-learn the digits target is skipped with a note.
"""

from __future__ import annotations

import importlib.util
import sys
import time

from approx.basics import defaults
from approx.basics.errors import InvalidArgument
from approx.cli.common import Parser
from approx.experiments.figures.common import save
from approx.experiments.figures.questions import fig_one_vs_many
from approx.experiments.questions.budget import accuracy_score, budget_summary, budget_trials
from approx.experiments.questions.common import prepare_out, scale_settings, write_json
from approx.experiments.targets import digits_target
from approx.experiments.threads import limit_threads


def _fmt(stat) -> str:
    return "—" if not stat or stat["median"] is None else f"{stat['median']:.3g}"


def table(summary: dict) -> str:
    lines = [
        "| target | K | n/K | params each | log2 #subnetworks | P(ticket) [95% CI] | "
        "best certified | best empirical | accuracy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for g in summary["groups"]:
        for p in g["points"]:
            lines.append(
                f"| {g['target']} | {p['K']} | {p['n']} | {p['params_each']:,} | "
                f"{p['subnetwork_bits']:,.0f} | {p['success']:.2f} [{p['success_lo']:.2f}, "
                f"{p['success_hi']:.2f}] | {_fmt(p['best_certified'])} | "
                f"{_fmt(p['best_empirical'])} | {_fmt(p.get('best_accuracy'))} |"
            )
    lines.append("")
    for g in summary["groups"]:
        b = g["bits_per_sample"]
        lines.append(
            f"- {g['target']}: {'—' if b is None else f'{b:.2f}'} bits of precision per sample "
            "per weight (slope of -log2(best certified) vs n/K)"
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
    eps = defaults.ONE_VS_MANY_EPS
    limit_threads()  # one compute thread: the machine is shared
    t0 = time.perf_counter()
    try:
        out = prepare_out(args.out or "results/questions")
        s = scale_settings(defaults.ONE_VS_MANY, name)
        common = {
            "ks": s["ks"],
            "seed": seed,
            "eps": eps,
            "empirical_samples": s["empirical_samples"],
            "ascent_steps": s["ascent_steps"],
            "progress": not args.quiet,
        }
        rows = budget_trials(
            s["widths"], label="random", n_total=s["n_total"], trials=s["trials"], **common
        )
        d = s["digits"]
        digits = None
        if importlib.util.find_spec("sklearn") is None:
            print("digits target: skipped (scikit-learn is not installed)", file=sys.stderr)
        else:
            net, _, (x_te, y_te) = digits_target(d["hidden"], seed, pool=d["pool"])
            accuracy = float((net.forward(x_te).argmax(1) == y_te).double().mean())
            digits = {**d, "widths": list(net.widths), "target_test_accuracy": accuracy}
            rows += budget_trials(
                net,
                label="digits",
                n_total=d["n_total"],
                trials=d["trials"],
                rescale=True,
                score=accuracy_score(x_te, y_te),
                **{k: v for k, v in common.items() if k != "ks"},
                ks=tuple(k for k in s["ks"] if d["n_total"] % k == 0),
            )
    except InvalidArgument as e:
        print(f"one_vs_many: {e}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    summary = budget_summary(rows)
    print(
        f"One network of P parameters or K of P/K ({name} scale, eps = {eps:g}, seed {seed}, "
        f"{seconds:.0f} s on a shared machine, one thread)\n"
    )
    if digits:
        print(
            f"digits target {'-'.join(map(str, digits['widths']))}: test accuracy "
            f"{digits['target_test_accuracy']:.3f} (450 test images)\n"
        )
    print(table(summary))
    payload = {"scale": name, "seed": seed, "eps": eps, "settings": s, "digits": digits}
    payload |= {"seconds": seconds, "summary": summary, "runs": rows}
    write_json(out / "one_vs_many.json", payload)
    if not args.no_plot:
        save(fig_one_vs_many(summary), out, "one_vs_many", ("png", "pdf"))
    print(f"\nwrote {out}/one_vs_many.json" + ("" if args.no_plot else " and the figure"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
