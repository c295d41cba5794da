"""`approx plot`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from .names import PLOT_STYLES

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
        help=f"one of {list(PLOT_STYLES)} (default {defaults.PLOT_STYLE}); paper: serif fonts "
        "embedded, vector PDF, figures at most a page (7 in) wide, single panels one column",
    )
    p.set_defaults(flags=FLAGS)
