"""The `approx` command: a thin argparse layer over the public API, one module per command.

Usage errors (bad arguments, files, targets that break a theorem's assumptions) print one line
`approx: error: …` on stderr and exit with status 2. Options the user does not give are None,
so the library's defaults (`approx.basics.defaults`) apply.
"""

from __future__ import annotations

import sys

from .. import __version__
from ..basics.errors import InvalidArgument
from . import check_proofs, export, plot, report, run, search, sweep, tightness
from .common import Parser

COMMANDS = (run, search, sweep, plot, report, tightness, check_proofs, export)


def build_parser() -> Parser:
    parser = Parser(
        prog="approx",
        description="Numerical checks of the strong lottery ticket theorems.",
    )
    parser.add_argument("--version", action="version", version=f"approx {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check-proofs"]:
        return check_proofs.forward(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InvalidArgument as e:
        print(f"approx: error: {e}", file=sys.stderr)
        return 2
