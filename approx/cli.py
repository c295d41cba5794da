"""The `approx` command: a thin argparse layer over the public API.

Usage errors (bad arguments, files, targets that break a theorem's assumptions) print one line
`approx: error: …` on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from .constructions import CONSTRUCTIONS
from .errors import InvalidArgument
from .nets import ReLUNet
from .run import DTYPES, RunResult, run
from .subset_sum import SOLVERS

DEFAULT_WIDTHS = (16, 16, 16, 4)


def _int_list(name: str, minimum: int = 1):
    def parse(text: str) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} must be comma-separated integers, e.g. 16,16,4"
            ) from None
        if any(v < minimum for v in values):
            raise argparse.ArgumentTypeError(f"{name}={text!r} must be integers >= {minimum}")
        return values

    return parse


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (not argparse's usage dump), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="approx",
        description="Numerical checks of the strong lottery ticket theorems.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser(
        "run",
        help="prune a random network to approximate a target and measure the error",
        description=(
            "Sample the construction's random network, find the subnetwork (masks) that "
            "approximates the target, and report the per-weight, certified and empirical error."
        ),
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--widths",
        type=_int_list("--widths"),
        help="random target with these widths d_0,...,d_l (default "
        + ",".join(map(str, DEFAULT_WIDTHS))
        + ")",
    )
    src.add_argument(
        "--target",
        type=Path,
        help="target from a torch.save file: nn.Sequential of Linear/ReLU, state dict, or list "
        "of weight tensors",
    )
    p.add_argument("--eps", type=float, default=0.01, help="target error eps (default 0.01)")
    p.add_argument("--delta", type=float, default=0.01, help="failure probability (default 0.01)")
    p.add_argument(
        "--construction", default="pensia", help=f"one of {sorted(CONSTRUCTIONS)} (default pensia)"
    )
    p.add_argument(
        "--n",
        type=_int_list("--n"),
        help="samples per weight: one value for all layers or one per layer "
        "(default: the theorem's formula with --C)",
    )
    p.add_argument(
        "--C",
        type=float,
        help="constant C in the theorem's width formula (default: the construction's own; "
        "pensia 2.5 is our calibration, malach 1 is proven for our width derivation)",
    )
    p.add_argument("--solver", default="exact", help=f"one of {list(SOLVERS)} (default exact)")
    p.add_argument(
        "--weight-tol",
        type=float,
        help="--solver fewest only: per-weight error within which the sparsest subset is kept "
        "(default eps / (2 l sqrt(2 max d_{i-1} d_i)): certified error <= eps when all reach it)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--rescale",
        action="store_true",
        help="rescale target layers with spectral norm > 1 to norm 1 instead of refusing",
    )
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    p.add_argument("--dtype", default="float64", help=f"one of {sorted(DTYPES)} (default float64)")
    p.add_argument(
        "--samples", type=int, default=4096, help="sphere points for the empirical error"
    )
    p.add_argument(
        "--ascent-steps", type=int, default=100, help="gradient-ascent steps (empirical error)"
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--out", type=Path, help="write result.json, error.png and network.pt to this directory"
    )

    c = sub.add_parser("check-proofs", help="run proofs_check (symbolic and numerical checks)")
    c.add_argument("args", nargs=argparse.REMAINDER, help="passed to python -m proofs_check")
    _add_search_command(sub)
    _add_experiment_commands(sub)
    return parser


def _write_out(result: RunResult, out: Path) -> None:
    from .plotting import plot_run  # matplotlib only when a plot is asked for

    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    plot_run(result, out / "error.png")
    art = result.artifacts
    torch.save(
        {
            "target": [w.cpu() for w in art.target.weights],
            "random": [w.cpu() for w in art.random_net.weights],
            "masks": [m.cpu() for m in art.pruned.masks.masks],
        },
        out / "network.pt",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    target = None
    if args.target is not None:
        target = ReLUNet.load(args.target)
    widths = None if target is not None else (args.widths or DEFAULT_WIDTHS)
    n = None
    if args.n is not None:
        n = args.n[0] if len(args.n) == 1 else args.n
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InvalidArgument(f"--out={str(args.out)!r} exists and is not a directory")
    result = run(
        target,
        widths=widths,
        eps=args.eps,
        delta=args.delta,
        construction=args.construction,
        n=n,
        C=args.C,
        solver=args.solver,
        seed=args.seed,
        rescale=args.rescale,
        device=args.device,
        dtype=args.dtype,
        empirical_samples=args.samples,
        ascent_steps=args.ascent_steps,
        weight_tolerance=args.weight_tol,
    )
    if args.out is not None:
        _write_out(result, args.out)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        from .report import format_run

        print(format_run(result))
        if args.out is not None:
            print(f"\n  wrote {args.out}/result.json, error.png, network.pt")
    return 0


# ---- experiments: sweep, plot, tightness (issue 4) ------------------------------------------


def _float_list(name: str):
    def parse(text: str) -> tuple[float, ...]:
        try:
            return tuple(float(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} must be comma-separated numbers, e.g. 0.1,0.01"
            ) from None

    return parse


def _add_experiment_commands(sub) -> None:
    s = sub.add_parser(
        "sweep",
        help="run a grid of runs (and subset-sum Monte Carlo points) into a resumable store",
        description=(
            "Run every grid point of a TOML sweep file (or of the grid given by flags) on all "
            "cores, writing each finished point to a SQLite store at once. Kill it at any time "
            "and rerun the same command: stored points are not recomputed. "
            "See docs/experiments.md for the file format."
        ),
    )
    s.add_argument("config", nargs="?", type=Path, help="TOML sweep file (or give the grid flags)")
    s.add_argument(
        "--store",
        type=Path,
        help="results store (default: the file's store= key, "
        "else <config name>.sqlite or sweep.sqlite in the current directory)",
    )
    s.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    g = s.add_argument_group("grid flags (instead of a config file)")
    g.add_argument("--construction", help="comma-separated names, or all (default all)")
    g.add_argument("--width", type=_int_list("--width"), help="square target hidden widths")
    g.add_argument("--depth", type=_int_list("--depth"), help="target depths l")
    g.add_argument(
        "--widths",
        type=_int_list("--widths"),
        action="append",
        help="an explicit target d_0,...,d_l (repeatable; instead of --width/--depth)",
    )
    g.add_argument("--eps", type=_float_list("--eps"), help="target errors (default 0.01)")
    size = g.add_mutually_exclusive_group()
    size.add_argument("--n", type=_int_list("--n"), help="samples per weight")
    size.add_argument(
        "--width-factor",
        type=_float_list("--width-factor"),
        help="random-net hidden width / target width",
    )
    size.add_argument("--C", type=_float_list("--C"), help="n from the theorem formula, these C")
    seeds = g.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=_int_list("--seed", minimum=0), help="seeds, e.g. 0,1,2")
    seeds.add_argument("--seeds", type=int, help="seeds 0..N-1")
    g.add_argument("--delta", type=float)
    g.add_argument("--solver")
    g.add_argument("--samples", type=int, help="sphere points for the empirical error")
    g.add_argument("--ascent-steps", type=int, help="gradient-ascent steps (empirical error)")

    p = sub.add_parser(
        "plot",
        help="draw the figures a results store supports",
        description="Error vs width, error vs depth, subset-sum success vs n, parameters vs eps.",
    )
    p.add_argument("store", type=Path, help="a store written by approx sweep")
    p.add_argument("--out", type=Path, required=True, help="directory for the figures")
    p.add_argument("--format", default="png,pdf", help="comma-separated png, pdf, svg")

    t = sub.add_parser(
        "tightness",
        help="smallest n meeting eps in (1-delta) of seeds, vs the theorem's n; fitted C",
        description=(
            "For each construction, target and eps: the smallest samples per weight n at which "
            "the certified error is <= eps in at least (1 - delta) of the seeds (doubling then "
            "bisection per seed), beside the n the theorem asks for with constant --C, their "
            "ratio, and the empirical C in n = C*log(d_{i-1} d_i l / min(eps, delta))."
        ),
    )
    t.add_argument("--construction", default="all", help="comma-separated names, or all")
    t.add_argument(
        "--widths",
        type=_int_list("--widths"),
        action="append",
        help="target d_0,...,d_l (repeatable; default 4,4,4)",
    )
    t.add_argument("--eps", type=_float_list("--eps"), default=(0.1, 0.03, 0.01))
    t.add_argument("--delta", type=float, default=0.1)
    t.add_argument("--seeds", type=int, default=40, help="seeds per row (default 40)")
    t.add_argument(
        "--n-max",
        type=int,
        default=30,
        help="largest n tried (default 30; lowered to what the solver accepts)",
    )
    t.add_argument(
        "--C", type=float, help="the theorem's constant (default: the construction's own)"
    )
    t.add_argument("--solver", default="exact")
    t.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    t.add_argument("--store", type=Path, help="keep (and reuse) every probe run in this store")
    t.add_argument("--format", choices=("md", "csv"), default="md")
    t.add_argument("--out", type=Path, help="also write the table to this file")
    t.add_argument("--quiet", action="store_true", help="no progress bar")


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def _sweep_grid_from_flags(args: argparse.Namespace) -> dict:
    table: dict = {}
    if args.construction is not None:
        table["construction"] = args.construction.split(",")
    for key, value in (
        ("width", args.width),
        ("depth", args.depth),
        ("widths", args.widths),
        ("eps", args.eps),
        ("n", args.n),
        ("width_factor", args.width_factor),
        ("C", args.C),
        ("seed", args.seed),
        ("delta", args.delta),
        ("solver", args.solver),
        ("empirical_samples", args.samples),
        ("ascent_steps", args.ascent_steps),
    ):
        if value is not None:
            table[key] = list(value) if isinstance(value, tuple) else value
    if args.seeds is not None:
        if args.seeds < 1:
            raise InvalidArgument(f"--seeds={args.seeds} must be >= 1")
        table["seed"] = list(range(args.seeds))
    return table


def _cmd_sweep(args: argparse.Namespace) -> int:
    import signal

    from .sweep import SweepCrash, config_from_dict, load_config, sweep

    flags = _sweep_grid_from_flags(args)
    if args.config is not None:
        if flags:
            raise InvalidArgument(
                f"give a config file or grid flags, not both (flags: {sorted(flags)})"
            )
        cfg = load_config(args.config)
        default_store = Path(f"{args.config.stem}.sqlite")
    else:
        if not flags:
            raise InvalidArgument("give a config file or grid flags (see approx sweep --help)")
        cfg = config_from_dict({"runs": flags}, where="flags")
        default_store = Path("sweep.sqlite")
    store = args.store or (Path(cfg.store) if cfg.store else default_store)
    workers = cfg.workers if args.workers is None else args.workers
    print(f"approx sweep: {len(cfg.points)} points -> {store}", file=sys.stderr)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _, summary = sweep(cfg.points, store, workers=workers, progress=not args.quiet)
    except KeyboardInterrupt:
        print(
            f"approx sweep: interrupted; finished points are in {store}; rerun the same "
            "command to resume",
            file=sys.stderr,
        )
        return 130
    except SweepCrash as e:
        print(f"approx sweep: {e}", file=sys.stderr)
        return 1
    print(
        f"approx sweep: {summary.total} points in {store}: {summary.already_stored} already "
        f"stored, {summary.computed} computed ({summary.failed} failed) in "
        f"{summary.seconds:.1f} s"
    )
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from .plotting import plot_store

    written, skipped = plot_store(args.store, args.out, tuple(args.format.split(",")))
    for p in written:
        print(f"wrote {p}")
    for note in skipped:
        print(f"skipped {note}")
    return 0 if written else 2


def _cmd_tightness(args: argparse.Namespace) -> int:
    from .store import ResultStore
    from .sweep import Runner
    from .tightness import constructions_named, format_table, tightness

    names = constructions_named(args.construction.split(","))
    shapes = args.widths or [(4, 4, 4)]
    rows = []
    with (
        ResultStore(args.store) as store,
        Runner(store, args.workers, progress=not args.quiet) as runner,
    ):
        for name in names:
            for shape in shapes:
                for eps in args.eps:
                    rows.append(
                        tightness(
                            runner,
                            name,
                            shape,
                            eps,
                            args.delta,
                            seeds=args.seeds,
                            n_max=args.n_max,
                            C=args.C,
                            solver=args.solver,
                        )
                    )
    table = format_table(rows, args.format)
    if args.out is not None:
        args.out.write_text(table)
    print(table, end="")
    return 0


_EXPERIMENT_COMMANDS = {"sweep": _cmd_sweep, "plot": _cmd_plot, "tightness": _cmd_tightness}


# ---- search: masks found without the construction's blueprint (issue 3) ---------------------


def _add_search_command(sub) -> None:
    s = sub.add_parser(
        "search",
        help="search masks without the construction's blueprint and compare with its masks",
        description=(
            "Draw a target and the construction's random network (as approx run does), prune it "
            "with the construction, then search the same network with edge-popup and/or the "
            "greedy layer-wise search, which see only the network and the target as a function. "
            "Every set of masks is measured the same way. See docs/search.md."
        ),
    )
    s.add_argument(
        "--widths",
        type=_int_list("--widths"),
        default=(4, 4, 2),
        help="random target d_0,...,d_l (default 4,4,2)",
    )
    s.add_argument(
        "--construction",
        default="pensia",
        help=f"whose random network and masks to compare with: one of {sorted(CONSTRUCTIONS)}",
    )
    s.add_argument(
        "--n",
        type=_int_list("--n"),
        default=(8,),
        help="samples per weight (the random net's width): one value or one per layer (default 8)",
    )
    s.add_argument(
        "--method", default="edge-popup,greedy", help="comma-separated: edge-popup, greedy"
    )
    s.add_argument(
        "--density",
        type=float,
        default=0.3,
        help="edge-popup: fraction of each layer's weights kept (default 0.3)",
    )
    s.add_argument("--steps", type=int, default=2000, help="edge-popup: Adam steps (default 2000)")
    s.add_argument("--lr", type=float, default=0.01, help="edge-popup: Adam step size")
    s.add_argument(
        "--points", type=int, default=512, help="greedy: sphere points it fits (default 512)"
    )
    s.add_argument("--max-steps", type=int, default=2000, help="greedy: most moves per layer pair")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument(
        "--samples", type=int, default=4096, help="sphere points for the empirical error"
    )
    s.add_argument(
        "--ascent-steps", type=int, default=100, help="gradient-ascent steps (empirical error)"
    )
    s.add_argument("--json", action="store_true", help="print the comparison as one JSON object")


def _cmd_search(args: argparse.Namespace) -> int:
    from .search import compare, format_comparison

    comparison = compare(
        widths=args.widths,
        construction=args.construction,
        n=args.n[0] if len(args.n) == 1 else args.n,
        methods=tuple(m.strip() for m in args.method.split(",")),
        seed=args.seed,
        density=args.density,
        steps=args.steps,
        lr=args.lr,
        samples=args.points,
        max_steps=args.max_steps,
        empirical_samples=args.samples,
        ascent_steps=args.ascent_steps,
    )
    if args.json:
        print(json.dumps(comparison.to_json()))
    else:
        print(format_comparison(comparison))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check-proofs"]:
        # everything after the command belongs to proofs_check's own parser (argparse's
        # REMAINDER would reject a leading option such as --quick)
        import proofs_check

        return proofs_check.main(argv[1:])
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in _EXPERIMENT_COMMANDS:
            return _EXPERIMENT_COMMANDS[args.command](args)
        if args.command == "search":
            return _cmd_search(args)
        if args.command == "run":
            return _cmd_run(args)
    except InvalidArgument as e:
        print(f"approx: error: {e}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
