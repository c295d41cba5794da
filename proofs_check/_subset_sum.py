"""Optimal random-subset-sum errors, for the checks of the subset-sum probabilities.

`mitm_errors` accounts for every one of the 2^n subsets (meet in the middle), so its error is
the true optimum up to float64 rounding; `brute_force_errors` lists all 2^n sums and is the
oracle the tests compare it against. The library's solver (`approx.subset_sum.solve`) is not
used for the measurements but checked against `mitm_errors` (subset_sum_success): the
probabilities then do not depend on the code under test.
"""

from __future__ import annotations

import itertools

import torch


def _all_subset_sums(coeffs: torch.Tensor) -> torch.Tensor:
    """(m, k) -> (m, 2^k): the sum of every subset of each row (the empty one included)."""
    k = coeffs.shape[1]
    bits = torch.tensor(list(itertools.product((0, 1), repeat=k)), dtype=coeffs.dtype)
    return coeffs @ bits.T.to(coeffs.device)  # (m, 2^k)


def brute_force_errors(coeffs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """min_S |Σ_{i∈S} c_i − z| per row by listing all 2^n subset sums; small n only."""
    sums = _all_subset_sums(coeffs)  # (m, 2^n)
    return (sums - targets[:, None]).abs().min(dim=1).values


def mitm_errors(
    coeffs: torch.Tensor, targets: torch.Tensor, chunk_elems: int = 1 << 22
) -> torch.Tensor:
    """min_S |Σ_{i∈S} c_i − z| per row, exactly, by meet in the middle (Horowitz–Sahni):
    every sum is a + b with a from the first half's 2^(n/2) sums and b from the second's, and
    the b nearest to z − a is one of the two neighbours of z − a in the sorted list."""
    m, n = coeffs.shape
    half = n // 2
    rows = max(1, chunk_elems // (1 << max(half, n - half)))
    out = []
    for start in range(0, m, rows):
        c, z = coeffs[start : start + rows], targets[start : start + rows]
        left = _all_subset_sums(c[:, :half])  # (r, 2^half)
        right = _all_subset_sums(c[:, half:]).sort(dim=1).values  # (r, 2^(n-half))
        query = (z[:, None] - left).contiguous()  # (r, 2^half)
        idx = torch.searchsorted(right, query)
        last = right.shape[1] - 1
        below = right.gather(1, (idx - 1).clamp(0, last))
        above = right.gather(1, idx.clamp(0, last))
        err = torch.minimum((query - below).abs(), (query - above).abs())  # (r, 2^half)
        out.append(err.min(dim=1).values)
    return torch.cat(out)
