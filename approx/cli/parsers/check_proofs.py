"""`approx check-proofs`'s options (everything after the command goes to proofs_check)."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    c = sub.add_parser("check-proofs", help="run proofs_check (symbolic and numerical checks)")
    c.add_argument("args", nargs=argparse.REMAINDER, help="passed to python -m proofs_check")
