"""`approx plot`: every figure a results store supports."""

from __future__ import annotations

import argparse

from ..basics import defaults
from ..experiments.figures import plot_store


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
