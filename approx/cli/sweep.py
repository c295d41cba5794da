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
from ..basics.files import check_writable_dir
from ..basics.threads import available_cores
from ..basics.units import format_seconds
from ..experiments.grid import SweepConfig, config_from_dict, load_config
from ..experiments.points import estimate_seconds
from ..experiments.runner import SweepCrash, check_runner, sweep_blocks
from ..experiments.store import ResultStore, check_store, point_key

# Where a store goes when none is named: never the current directory (a repository root).
RESULTS = Path("results")


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
                f"--seeds={args.seeds} is more than the {defaults.MAX_GRID_POINTS:,} points "
                "a sweep takes"
            )
        table["seed"] = list(range(args.seeds))
    return table


def _time_estimate(cfg: SweepConfig, workers: int | None, scheduler: str | None) -> str:
    """The grid's estimated time (from a sample of its points) on the points that run at once:
    the local pool's workers, or the Dask cluster's worker threads (counted on the running
    scheduler, which is asked only when the time is worth announcing). "" for a grid of at
    most `defaults.SWEEP_ANNOUNCE_POINTS` points that should take at most
    `defaults.ANNOUNCE_SECONDS`, the threshold of `approx run`'s own estimate."""
    sample = cfg.sample(64)
    per_point = sum(estimate_seconds(p) for p in sample) / max(1, len(sample))
    work = per_point * cfg.count
    large = cfg.count > defaults.SWEEP_ANNOUNCE_POINTS
    if not large and work <= defaults.ANNOUNCE_SECONDS:
        return ""  # quick on any number of workers
    if scheduler is None:
        pool, on = workers or available_cores(), "worker{s}"
    else:
        # Imported here: dask.distributed takes about a second to import, which only a sweep
        # on a cluster needs (as in approx.experiments.runner.make_runner).
        from ..experiments.cluster import cluster_threads

        pool, on = cluster_threads(scheduler, workers), "worker thread{s} of the Dask cluster"
    if pool == 0:
        return f" (about {format_seconds(work)} of work; the cluster has no workers yet)"
    busy = min(pool, cfg.count)  # a grid of fewer points than workers leaves some idle
    if not large and work / busy <= defaults.ANNOUNCE_SECONDS:
        return ""
    return (
        f" (about {format_seconds(work / busy)} on {busy} {on.format(s='s' * (busy > 1))}, "
        f"estimated from {len(sample)} of them)"
    )


def announce(
    cfg: SweepConfig, workers: int | None, store: Path, scheduler: str | None = None
) -> None:
    """The grid's size, and its estimated time when the grid is large or should take longer
    than `approx run` takes before it announces its own; notes on what the store already
    holds: points of other grids, other code versions."""
    line = f"approx sweep: {cfg.count:,} points -> {store}"
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
    workers = cfg.workers if args.workers is None else args.workers
    # Every refusal in one line before any note, and before a file or directory is created:
    # the store (an existing one is checked unchanged), the workers, the scheduler.
    if store.parent == RESULTS and not RESULTS.is_dir():
        check_writable_dir(RESULTS, "--store")
    else:
        check_store(store)
    scheduler = args.scheduler or os.environ.get(defaults.SCHEDULER_ENV) or None
    check_runner(workers, scheduler)
    if store.parent == RESULTS:
        RESULTS.mkdir(exist_ok=True)
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
            retry_failed=args.retry_failed,
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
