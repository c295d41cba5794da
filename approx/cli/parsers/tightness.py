"""`approx tightness`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from ..common import float_list, int_list

# the library's argument names -> this command's flags, for error messages
FLAGS = {
    "construction": "--construction",
    "widths": "--widths",
    "eps": "--eps",
    "delta": "--delta",
    "seeds": "--seeds",
    "n_max": "--n-max",
    "C": "--C",
    "solver": "--solver",
    "workers": "--workers",
    "out": "--out",
    "conv": "--conv",
    "target": "--target",
    "input_shape": "--input-shape",
    "kernel": "--kernel",
    "padding": "--padding",
}


def add_parser(sub) -> None:
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
        type=int_list("--widths"),
        action="append",
        help="target d_0,...,d_l (repeatable; default "
        + ",".join(map(str, defaults.TIGHTNESS_WIDTHS))
        + ")",
    )
    t.add_argument(
        "--conv",
        type=int_list("--conv"),
        action="append",
        help="a random CNN target instead: output channels of its convolutions, e.g. 2,2 "
        "(repeatable; kernels l1 norm 1, drawn per seed; needs --input-shape)",
    )
    t.add_argument(
        "--target",
        action="append",
        help="a target file instead (torch.save of an nn.Sequential or state dict; repeatable; "
        "a convolutional one needs --input-shape)",
    )
    t.add_argument("--input-shape", type=int_list("--input-shape"), help="C,H,W of --conv/--target")
    t.add_argument("--kernel", type=int, help="--conv kernel size k (k x k, stride 1; default 3)")
    t.add_argument("--padding", type=int, help="--conv zero padding (default 0)")
    t.add_argument(
        "--eps",
        type=float_list("--eps"),
        help="target errors (default "
        + ",".join(map(str, defaults.TIGHTNESS_EPS))
        + "; "
        + "; ".join(f"{k}: " + ",".join(map(str, v)) for k, v in defaults.TIGHTNESS_EPS_BY.items())
        + ")",
    )
    t.add_argument("--delta", type=float, help=f"(default {defaults.TIGHTNESS_DELTA})")
    t.add_argument("--seeds", type=int, help=f"seeds per row (default {defaults.TIGHTNESS_SEEDS})")
    t.add_argument(
        "--n-max",
        type=int,
        help=f"largest n tried (default {defaults.TIGHTNESS_N_MAX}, "
        + ", ".join(f"{k} {v}" for k, v in defaults.TIGHTNESS_N_MAX_BY_CONSTRUCTION.items())
        + "; lowered to what the solver "
        "accepts)",
    )
    t.add_argument(
        "--C", type=float, help="the theorem's constant (default: the construction's own)"
    )
    t.add_argument("--solver", help=f"(default {defaults.SOLVER})")
    t.add_argument(
        "--error",
        choices=defaults.ERROR_METHODS,
        help="the upper value that counts a failure: sandwich (the tightest affordable: exact "
        "for 1-2 inputs) or certified (default " + defaults.TIGHTNESS_ERROR + ")",
    )
    t.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    t.add_argument(
        "--scheduler",
        help="run the probes on a Dask cluster (as approx sweep --scheduler; default: $"
        + defaults.SCHEDULER_ENV
        + ", else the local pool)",
    )
    t.add_argument("--store", type=Path, help="keep (and reuse) every probe run in this store")
    t.add_argument("--format", choices=("md", "csv"), default="md")
    t.add_argument("--out", type=Path, help="also write the table to this file")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(flags=FLAGS)
