"""One owner of a process's compute threads: torch's, OpenMP's and numba's."""

from __future__ import annotations

import os

import numba
import torch


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
