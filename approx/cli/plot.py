"""`approx plot`: every figure a results store supports."""

from __future__ import annotations

import argparse
import sys

from ..basics import defaults
from ..experiments.figures import plot_store


def command(args: argparse.Namespace) -> int:
    """Every figure the store supports; exit 2, with one `approx: error:` line after the notes
    of what was skipped, when its rows support none."""
    formats = None if args.format is None else tuple(args.format.split(","))
    written, skipped = plot_store(
        args.store, args.out, formats, style=args.style or defaults.PLOT_STYLE
    )
    for p in written:
        print(f"wrote {p}")
    for note in skipped:
        print(f"skipped {note}")
    if not written:
        print(
            f"approx: error: {args.store}: its rows support none of the figures (skipped, above)",
            file=sys.stderr,
        )
        return 2
    return 0
