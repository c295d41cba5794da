"""`approx plot`: every figure a results store supports."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..experiments.figures import plot_store

# the library's argument names -> this command's flags, for error messages
FLAGS = {"out": "--out", "formats": "--format"}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "plot",
        help="draw the figures a results store supports",
        description="Error vs width, error vs depth, subset-sum success vs n, parameters vs eps.",
    )
    p.add_argument("store", type=Path, help="a store written by approx sweep")
    p.add_argument("--out", type=Path, required=True, help="directory for the figures")
    p.add_argument("--format", default="png,pdf", help="comma-separated png, pdf, svg")
    p.set_defaults(func=command, flags=FLAGS)


def command(args: argparse.Namespace) -> int:
    written, skipped = plot_store(args.store, args.out, tuple(args.format.split(",")))
    for p in written:
        print(f"wrote {p}")
    for note in skipped:
        print(f"skipped {note}")
    return 0 if written else 2
