"""Keeping the standard output for results: a library that prints is sent to stderr."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """For the duration, file descriptor 1 (the standard output, also as C and C++ code writes
    it) is the standard error: HiGHS prints a line of its own on some instances
    (`HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();`), which would
    otherwise land inside `approx run --solver milp --json`'s JSON."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
