"""`approx export`: a results store as CSV or JSON, for pandas, R or a spreadsheet."""

from __future__ import annotations

import argparse
import sys

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.files import check_not_overwriting, check_writable_file, write_text_atomic
from ..experiments.export import FORMATS, export_text
from ..experiments.store import KINDS, load_rows


def command(args: argparse.Namespace) -> int:
    fmt = args.format or defaults.EXPORT_FORMAT
    if fmt not in FORMATS:
        raise InvalidArgument(f"--format={fmt!r} is not one of {list(FORMATS)}")
    if args.kind is not None and args.kind not in KINDS:
        raise InvalidArgument(f"--kind={args.kind!r} is not one of {list(KINDS)}")
    if args.out is not None:
        check_writable_file(args.out, "--out")
        check_not_overwriting(args.out, "--out", args.store, "the store exported")
    text = export_text(load_rows(args.store, args.kind), fmt)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.out, text)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0
