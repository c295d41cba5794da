"""`approx report`: one self-contained HTML page about a results store."""

from __future__ import annotations

import argparse

from ..experiments.htmlreport import write_report


def command(args: argparse.Namespace) -> int:
    path = write_report(args.store, args.out)
    print(f"wrote {path}")
    return 0
