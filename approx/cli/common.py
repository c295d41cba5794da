"""What every command shares: the parser that reports usage errors in one line, and the parsers
of comma-separated lists."""

from __future__ import annotations

import argparse


class Parser(argparse.ArgumentParser):
    """Usage errors as one line (not argparse's usage dump), exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_list(name: str, minimum: int = 1):
    def parse(text: str) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} must be comma-separated integers, e.g. 16,16,4"
            ) from None
        if any(v < minimum for v in values):
            raise argparse.ArgumentTypeError(f"{name}={text!r} must be integers >= {minimum}")
        return values

    return parse


def float_list(name: str):
    def parse(text: str) -> tuple[float, ...]:
        try:
            return tuple(float(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} must be comma-separated numbers, e.g. 0.1,0.01"
            ) from None

    return parse


def one_or_list(values: tuple[int, ...] | None):
    """`--n 12` means 12 for every layer; `--n 10,14` one value per layer."""
    if values is None:
        return None
    return values[0] if len(values) == 1 else values


def add_empirical_options(p: argparse.ArgumentParser, samples: int, steps: int) -> None:
    p.add_argument(
        "--samples", type=int, help=f"sphere points for the empirical error (default {samples})"
    )
    p.add_argument(
        "--ascent-steps",
        type=int,
        help=f"gradient-ascent steps of the empirical error (default {steps})",
    )


def given(**options) -> dict:
    """The options the user gave (not None): the library's defaults apply to the rest."""
    return {k: v for k, v in options.items() if v is not None}
