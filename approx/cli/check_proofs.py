"""`approx check-proofs`: runs proofs_check, the symbolic and Monte Carlo checks of each proof
step. The one place the library calls proofs_check (an import contract allows only this)."""

from __future__ import annotations

import argparse

# sympy and the Monte Carlo checks (~2 s of CPU): this module is imported only when the
# command runs (approx.cli's registry), so no other command pays for them
import proofs_check


def forward(argv: list[str]) -> int:
    """Everything after the command goes to proofs_check's own parser verbatim (argparse's
    REMAINDER would reject a leading option such as --quick)."""
    return proofs_check.main(argv, prog="approx check-proofs")


def command(args: argparse.Namespace) -> int:
    return forward(args.args)


def run_checks(quick: bool, seed: int, progress: bool = True) -> list:
    """Every proofs_check check's result (`proofs_check.result.CheckResult`, in report order;
    quick: the test suite's sample sizes), for `approx report`."""
    import proofs_check  # see `forward`: kept off every other command's start-up

    return proofs_check.run_all(quick=quick, seed=seed, progress=progress)
