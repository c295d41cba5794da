"""Fewest kept coefficients within a tolerance, on CPU: meet in the middle with popcounts — the
driver (workspace, chunking, threads) and the algorithm; the compiled kernels are in
`_fewest_kernels`.

Per instance with c valid coefficients, target t and tolerance τ: among the subsets S with
|Σ_S c_i − t| ≤ τ, one with the fewest elements (ties: the smaller error); if there is none, the
plain optimum (least error). The question of Natale et al. 2024 (sparser tickets).

1. Split the valid coefficients into half A (h1 = floor(c/2)) and half B (h2 = c − h1) and build
   each half's 2^h sums in ascending order by merging, merge(L, L + x_e), carrying each sum's
   subset as a bit mask (no sign trick: merging two sorted lists needs no sign assumption);
   each merge runs as two branch-free chains, from the front and from the back.
   The popcount of a mask is the number of coefficients that sum keeps.
2. The fewest count p*. For a in A taken in descending order, the sums b of B with
   −τ ≤ (a + b) − t ≤ τ form a window of sorted B that only moves right (rounding is monotone,
   so this holds for the float64 expression too). Both window ends advance by two pointers, and
   a monotone deque of B positions (popcounts increasing from front to back) gives the window's
   least popcount in O(1) amortised: p* = min over a of popcount(a) + that minimum.
3. The least error among count p*. Each half is bucketed by popcount (a stable counting sort, so
   every bucket stays ascending); for every split p* = q_A + q_B, a two-pointer sweep over
   buckets A_{q_A} and B_{q_B} finds the pair closest to t. Some pair of count p* is within τ
   (the same float64 expression decided step 2), so the least of these is too.
   Without any subset within τ, the same sweep over all of A and B gives the plain optimum.

Work per instance: 2 (2^h1 + 2^h2) merge steps, ~2 (2^h1 + 2^h2) window steps and at most
2 (2^h1 + 2^h2) sweep steps: O(2^(c/2)), like `_numba_mitm`, but with masks moved with the
sums and branching window and sweep loops, so a few times slower per instance. Sums and
errors are float64 in merge order, so τ is applied to float64 sums (for float32 coefficients
too).
"""

from __future__ import annotations

import numba
import numpy as np
import torch

from ._budget import max_valid_count, row_chunks
from ._fewest_kernels import fewest_rows


def _length(c: int) -> int:
    """Entries per list buffer for up to c valid coefficients: −inf, 2^ceil(c/2) sums, +inf."""
    return 2 ** ((c + 1) // 2) + 2


def workspace_bytes(c: int) -> int:
    """Bytes of one worker's workspace for instances of up to c valid coefficients: per half,
    three float64 sum buffers and three int64 mask buffers (ping-pong and L + x_e; the idle
    ping-pong pair later holds the popcount buckets) and uint8 popcounts, plus the int64
    deque: ~106 * 2^ceil(c/2)."""
    n = _length(c)
    return 2 * (3 * 8 * n + 3 * 8 * n + n) + 8 * n + 2 * 8 * 64


def fewest_numba(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    tolerance: float,
    budget: int,
) -> torch.Tensor:
    """(m, k) bool: per row, the fewest-kept subset within `tolerance` (else the optimum);
    computed on CPU whatever the device, returned on coeffs' device."""
    device = coeffs.device
    coeffs, targets, valid = coeffs.cpu(), targets.cpu(), valid.cpu()
    m, k = coeffs.shape
    chosen = np.zeros((m, k), dtype=np.bool_)
    if m == 0 or k == 0:
        return torch.from_numpy(chosen).to(device)
    c_max = max_valid_count(valid, budget)
    ws = workspace_bytes(c_max)
    lanes = max(1, min(numba.get_num_threads(), m, budget // ws))
    chunks = row_chunks(
        m, 9 * k + 8, budget, shared=lanes * ws, why=f"fewest-kept search over {c_max} valid"
    )
    n = _length(c_max)
    sums = np.empty((lanes, 2, 3, n), dtype=np.float64)
    masks = np.empty((lanes, 2, 3, n), dtype=np.int64)
    counts = np.empty((lanes, 2, n), dtype=np.uint8)
    deque = np.empty((lanes, n), dtype=np.int64)
    starts = np.empty((lanes, 2, 64), dtype=np.int64)
    cols = np.empty((lanes, max(k, 1)), dtype=np.int64)
    threads = numba.get_num_threads()
    numba.set_num_threads(lanes)
    try:
        with numba.parallel_chunksize(max(1, min(64, m // (16 * lanes)))):
            for rows in chunks:
                fewest_rows(
                    coeffs[rows].to(torch.float64).contiguous().numpy(),
                    targets[rows].to(torch.float64).contiguous().numpy(),
                    valid[rows].contiguous().numpy(),
                    float(tolerance),
                    chosen[rows],
                    sums,
                    masks,
                    counts,
                    deque,
                    starts,
                    cols,
                )
    finally:
        numba.set_num_threads(threads)
    return torch.from_numpy(chosen).to(device)
