"""One owner of a process's compute threads: torch's, OpenMP's and numba's."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numba
import torch


@contextlib.contextmanager
def limited_threads() -> Iterator[None]:
    """One compute thread for torch and numba for the duration of a block, both counts
    restored after (the environment is left alone), so that a command run in-process (a test,
    a notebook) leaves its caller's settings. Numba's count matters too: its first parallel
    kernel starts OpenMP with numba's thread count, which torch then reads (after
    `torch.set_num_threads(1)` alone, a run leaves torch with numba's count)."""
    before = torch.get_num_threads(), numba.get_num_threads()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before[1])
        torch.set_num_threads(before[0])


def limit_threads() -> None:
    """One compute thread for torch and numba in this process (and libraries loaded later)."""
    # Not NUMBA_NUM_THREADS: numba re-reads its environment at each compile and refuses a
    # value different from the one its thread pool started with; set_num_threads is the way.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only settable before the first inter-op work; a fresh worker has none
        pass
    numba.set_num_threads(1)
