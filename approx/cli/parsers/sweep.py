"""`approx sweep`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from ..common import float_list, int_list

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
    s.add_argument(
        "--retry-failed",
        action="store_true",
        help="also recompute the points stored as failed (e.g. refused for this machine's "
        "memory); points stored as computed are never recomputed",
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
    s.set_defaults(flags=FLAGS)
