"""`approx report`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML page about a results store",
        description=(
            "Write OUT/index.html: the run table, every figure the store supports (embedded), "
            "subset-sum success with Wilson 95%% intervals, the tightness table the runs settle, "
            "the proofs_check table (run for the page), failed points, the environment, and the "
            "commands that reproduce each figure. "
            "It needs no network to view (docs/report.md)."
        ),
    )
    p.add_argument("store", type=Path, help="a store written by approx sweep or tightness")
    p.add_argument("--out", type=Path, required=True, help="directory for index.html")
    p.add_argument(
        "--proofs-check",
        choices=defaults.REPORT_PROOFS_CHECK_MODES,
        help="run the proofs_check checks for the page: quick (half a minute), full (~20 min) "
        f"or none (the page says they were left out; default {defaults.REPORT_PROOFS_CHECK})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
