"""`approx plot`: every figure a results store supports."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..basics import defaults
from ..experiments.figures import plot_store
from ..experiments.figures.common import STYLES

# the library's argument names -> this command's flags, for error messages
FLAGS = {"out": "--out", "formats": "--format", "style": "--style"}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plot",
        help="draw the figures a results store supports",
        description="Error vs width, error vs depth, subset-sum success vs n, parameters vs eps.",
    )
    p.add_argument("store", type=Path, help="a store written by approx sweep")
    p.add_argument("--out", type=Path, required=True, help="directory for the figures")
    p.add_argument(
        "--format",
        help="comma-separated png, pdf, svg (default: "
        + "; ".join(f"{k} {','.join(v)}" for k, v in defaults.PLOT_FORMATS.items())
        + ")",
    )
    p.add_argument(
        "--style",
        help=f"one of {list(STYLES)} (default {defaults.PLOT_STYLE}); paper: serif fonts "
        "embedded, vector PDF, figures at most a page (7 in) wide, single panels one column",
    )
    p.set_defaults(func=command, flags=FLAGS)


def command(args: argparse.Namespace) -> int:
    formats = None if args.format is None else tuple(args.format.split(","))
    written, skipped = plot_store(
        args.store, args.out, formats, style=args.style or defaults.PLOT_STYLE
    )
    for p in written:
        print(f"wrote {p}")
    for note in skipped:
        print(f"skipped {note}")
    return 0 if written else 2
