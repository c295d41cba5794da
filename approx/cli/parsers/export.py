"""`approx export`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from .names import EXPORT_FORMATS


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export",
        help="write a results store as CSV or JSON",
        description=(
            "Every stored point of a store written by approx sweep (or approx tightness "
            "--store) as CSV — one row per point; columns key, kind, status, seconds, version, "
            "finished_at, error, then config.<field> and result.<field> (lists as JSON) — or as "
            "a JSON list of the stored rows."
        ),
    )
    p.add_argument("store", type=Path, help="a results store (.sqlite)")
    p.add_argument(
        "--format", help=f"one of {list(EXPORT_FORMATS)} (default {defaults.EXPORT_FORMAT})"
    )
    p.add_argument(
        "--kind", help="only points of this kind: run, subset_sum or compare (default: all)"
    )
    p.add_argument("--out", type=Path, help="write to this file (default: standard output)")
