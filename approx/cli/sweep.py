"""`approx sweep`: a grid of runs (and subset-sum Monte Carlo points) into a resumable store."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from .. import __version__
from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.units import format_seconds
from ..experiments.grid import SweepConfig, config_from_dict, load_config
from ..experiments.points import estimate_seconds
from ..experiments.runner import SweepCrash, sweep_blocks
from ..experiments.store import ResultStore, point_key
from .common import float_list, int_list

# Where a store goes when none is named: never the current directory (a repository root).
RESULTS = Path("results")
# the library's argument names -> this command's flags, for error messages
FLAGS = {
    "construction": "--construction",
    "width": "--width",
    "depth": "--depth",
    "widths": "--widths",
    "eps": "--eps",
    "n": "--n",
    "width_factor": "--width-factor",
    "C": "--C",
    "seed": "--seed",
    "delta": "--delta",
    "solver": "--solver",
    "empirical_samples": "--samples",
    "ascent_steps": "--ascent-steps",
    "workers": "--workers",
}


def add_parser(sub) -> None:
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
        "else results/<config name>.sqlite or results/sweep.sqlite)",
    )
    s.add_argument(
        "--workers",
        type=int,
        help="worker processes (default: all cores; with --scheduler local, the cluster's)",
    )
    s.add_argument(
        "--scheduler",
        help="run the points on a Dask cluster: a scheduler's address (tcp://host:8786), or "
        "'local' for a LocalCluster of --workers processes (default: $"
        + defaults.SCHEDULER_ENV
        + ", else the local process pool; docs/experiments.md)",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    g = s.add_argument_group("grid flags (instead of a config file)")
    g.add_argument("--construction", help="comma-separated names, or all (default all)")
    g.add_argument("--width", type=int_list("--width"), help="square target hidden widths")
    g.add_argument("--depth", type=int_list("--depth"), help="target depths l")
    g.add_argument(
        "--widths",
        type=int_list("--widths"),
        action="append",
        help="an explicit target d_0,...,d_l (repeatable; instead of --width/--depth)",
    )
    g.add_argument(
        "--eps", type=float_list("--eps"), help=f"target errors (default {defaults.EPS})"
    )
    size = g.add_mutually_exclusive_group()
    size.add_argument("--n", type=int_list("--n"), help="samples per weight")
    size.add_argument(
        "--width-factor",
        type=float_list("--width-factor"),
        help="random-net hidden width / target width",
    )
    size.add_argument("--C", type=float_list("--C"), help="n from the theorem formula, these C")
    seeds = g.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int_list("--seed", minimum=0), help="seeds, e.g. 0,1,2")
    seeds.add_argument("--seeds", type=int, help="seeds 0..N-1")
    g.add_argument("--delta", type=float, help=f"(default {defaults.DELTA})")
    g.add_argument("--solver", help=f"(default {defaults.SOLVER})")
    g.add_argument(
        "--samples",
        type=int,
        help=f"sphere points for the empirical error (default {defaults.SWEEP_EMPIRICAL_SAMPLES})",
    )
    g.add_argument(
        "--ascent-steps",
        type=int,
        help=f"gradient-ascent steps, empirical error (default {defaults.SWEEP_ASCENT_STEPS})",
    )
    s.set_defaults(func=command, flags=FLAGS)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def grid_from_flags(args: argparse.Namespace) -> dict:
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
        if args.seeds > defaults.MAX_GRID_POINTS:  # before the list of seeds is built
            raise InvalidArgument(
                f"--seeds={args.seeds:,} is more than the {defaults.MAX_GRID_POINTS:,} points "
                "a sweep takes"
            )
        table["seed"] = list(range(args.seeds))
    return table


def _time_estimate(cfg: SweepConfig, workers: int | None, scheduler: str | None) -> str:
    """The grid's time on the points that run at once: the local pool's workers, or the Dask
    cluster's worker threads (counted on the running scheduler, which is asked now)."""
    sample = cfg.sample(64)
    per_point = sum(estimate_seconds(p) for p in sample) / max(1, len(sample))
    work = per_point * cfg.count
    if scheduler is None:
        pool, on = workers or os.cpu_count() or 1, "workers"
    else:
        # Imported here: dask.distributed takes about a second to import, which only a sweep
        # on a cluster needs (as in approx.experiments.runner.make_runner).
        from ..experiments.cluster import cluster_threads

        pool, on = cluster_threads(scheduler, workers), "worker threads of the Dask cluster"
    if pool == 0:
        return f" (about {format_seconds(work)} of work; the cluster has no workers yet)"
    return (
        f" (about {format_seconds(work / pool)} on {pool} {on}, "
        f"estimated from {len(sample)} of them)"
    )


def announce(
    cfg: SweepConfig, workers: int | None, store: Path, scheduler: str | None = None
) -> None:
    """The grid's size, and for a large grid its estimated time (from a sample of its points);
    notes on what the store already holds: points of other grids, other code versions."""
    line = f"approx sweep: {cfg.count:,} points -> {store}"
    if cfg.count > defaults.SWEEP_ANNOUNCE_POINTS:
        line += _time_estimate(cfg, workers, scheduler)
    print(line, file=sys.stderr)
    if not store.is_file() or store.stat().st_size == 0:
        return
    with ResultStore(store, read_only=True) as st:
        held, versions = len(st), st.versions()
        mine = len(st.stored([point_key(p) for p in cfg.iter_points()])) if held else 0
    if held > mine:
        print(
            f"approx sweep: note: {store} also holds {held - mine:,} points of another grid "
            "(kept, not recomputed, not part of this grid)",
            file=sys.stderr,
        )
    others = sorted(set(filter(None, versions["rows"].split(","))) - {__version__})
    if others:
        print(
            f"approx sweep: note: {store} holds points computed by approx {', '.join(others)}; "
            f"this is {__version__}: stored points are reused as they are",
            file=sys.stderr,
        )


def command(args: argparse.Namespace) -> int:
    flags = grid_from_flags(args)
    if args.config is not None:
        args.flags = {}  # errors name the file's keys, not flags
        if flags:
            raise InvalidArgument(
                f"give a config file or grid flags, not both (flags: {sorted(flags)})"
            )
        cfg = load_config(args.config)
        default_store = RESULTS / f"{args.config.stem}.sqlite"
    else:
        if not flags:
            raise InvalidArgument("give a config file or grid flags (see approx sweep --help)")
        cfg = config_from_dict({"runs": flags}, where="flags")
        default_store = RESULTS / "sweep.sqlite"
    store = args.store or (Path(cfg.store) if cfg.store else default_store)
    if store.parent == RESULTS:
        RESULTS.mkdir(exist_ok=True)
    workers = cfg.workers if args.workers is None else args.workers
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InvalidArgument(f"workers={workers!r} must be a positive integer")
    ResultStore(store).close()  # refused here (one line) if it cannot be a store, before any note
    scheduler = args.scheduler or os.environ.get(defaults.SCHEDULER_ENV) or None
    announce(cfg, workers, store, scheduler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        summary = sweep_blocks(
            cfg.iter_points(),
            store,
            total=cfg.count,
            workers=workers,
            progress=not args.quiet,
            scheduler=scheduler,
        )
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
