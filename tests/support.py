"""What the tests share: tolerances keyed by dtype and Hypothesis strategies, in one place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
import torch
from hypothesis import strategies as st

# Absolute tolerance for quantities of order 1 that two correct computations may round
# differently (different summation order). float64: a few hundred ulps of sums of <= 64 terms.
TOL = {torch.float64: 1e-12, torch.float32: 1e-5}

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def generator(seed: int) -> torch.Generator:
    """A CPU generator from a Hypothesis-drawn seed, so failures shrink and replay."""
    return torch.Generator().manual_seed(seed)


def subset_sum_instances(seed: int, m: int, k: int, p_valid: float = 0.7, dtype=torch.float64):
    """Coefficients and targets ~ U[-1, 1] and a random valid mask; row 0 is all invalid."""
    g = generator(seed)
    coeffs = torch.rand(m, k, generator=g, dtype=dtype) * 2 - 1  # (m, k)
    targets = torch.rand(m, generator=g, dtype=dtype) * 2 - 1  # (m,)
    valid = torch.rand(m, k, generator=g) < p_valid  # (m, k)
    if m:
        valid[0] = False
    return coeffs, targets, valid


@contextlib.contextmanager
def one_compute_thread() -> Iterator[None]:
    """One torch and one numba thread for the duration, both restored after, as `approx
    compare` runs (`limit_threads`). Numba's count matters too: its first parallel kernel
    starts OpenMP with numba's thread count, which torch then reads (a run after
    `torch.set_num_threads(1)` alone leaves torch with numba's 2 threads here)."""
    before = torch.get_num_threads(), numba.get_num_threads()
    torch.set_num_threads(1)
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before[1])
        torch.set_num_threads(before[0])
