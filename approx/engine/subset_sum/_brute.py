"""Brute force over all 2^k subsets: the obviously-correct oracle the fast solvers are
tested against."""

from __future__ import annotations

import torch

from ...basics.errors import InvalidArgument
from ._budget import row_chunks

MAX_K = 20


def subset_bits(k: int, device: torch.device) -> torch.Tensor:
    """(2^k, k) bool: row s holds the bits of s, bit i = coefficient i is in subset s."""
    s = torch.arange(2**k, dtype=torch.int32, device=device)
    bits = s[:, None] >> torch.arange(k, dtype=torch.int32, device=device)  # (2^k, k)
    return (bits & 1).bool()


def brute(
    coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, budget: int
) -> torch.Tensor:
    """(m, k) bool: for each row the first subset (in binary order) of least |sum - target|."""
    m, k = coeffs.shape
    if k > MAX_K:
        raise InvalidArgument(
            f"coeffs has k={k} columns; method='brute' enumerates 2^k subsets and accepts "
            f"k <= {MAX_K}"
        )
    # Shared: the subset table as int32 while it is built, as bool and as float64. Per row:
    # the sums and their distances (float64), the row's coefficients and the argmin.
    shared = 13 * k * 2**k
    chunks = row_chunks(m, 16 * 2**k + 16 * k + 8, budget, shared=shared, why="brute force")
    bits = subset_bits(k, coeffs.device)  # (2^k, k)
    bits64 = bits.to(torch.float64)
    chosen = torch.zeros((m, k), dtype=torch.bool, device=coeffs.device)
    for rows in chunks:
        x = torch.where(valid[rows], coeffs[rows], 0).to(torch.float64)  # (b, k)
        sums = x @ bits64.T  # (b, 2^k)
        best = (sums - targets[rows, None].to(torch.float64)).abs_().argmin(1)  # (b,)
        # An invalid coefficient is zero here, so dropping it leaves the sum unchanged.
        chosen[rows] = bits[best] & valid[rows]
    return chosen
