"""What the tests share: tolerances keyed by dtype and Hypothesis strategies, in one place."""

from __future__ import annotations

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
