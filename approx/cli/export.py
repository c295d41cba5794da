"""`approx export`: a results store as CSV or JSON, for pandas, R or a spreadsheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.files import check_writable_file, write_text_atomic
from ..experiments.export import FORMATS, KINDS, export_text
from ..experiments.store import load_rows


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
    p.add_argument("--format", help=f"one of {list(FORMATS)} (default {defaults.EXPORT_FORMAT})")
    p.add_argument("--kind", help="only points of this kind: run or subset_sum (default: all)")
    p.add_argument("--out", type=Path, help="write to this file (default: standard output)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    fmt = args.format or defaults.EXPORT_FORMAT
    if fmt not in FORMATS:
        raise InvalidArgument(f"--format={fmt!r} is not one of {list(FORMATS)}")
    if args.kind is not None and args.kind not in KINDS:
        raise InvalidArgument(f"--kind={args.kind!r} is not one of {list(KINDS)}")
    if args.out is not None:
        check_writable_file(args.out, "--out")
    text = export_text(load_rows(args.store, args.kind), fmt)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0
