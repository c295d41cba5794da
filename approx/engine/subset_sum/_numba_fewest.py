"""Fewest kept coefficients within a tolerance, on CPU: meet in the middle with popcounts — the
driver (workspace, chunking, threads) and the algorithm; the compiled kernels are in
`_fewest_kernels`.

Per instance with c valid coefficients, target t and tolerance τ: among the subsets S with
|Σ_S c_i − t| ≤ τ, one with the fewest elements (ties: the smaller error); if there is none, the
plain optimum (least error). The question of Natale et al. 2024 (sparser tickets).

1. Split the valid coefficients into half A (h1 = floor(c/2)) and half B (h2 = c − h1) and build
   each half's 2^h sums in ascending order by merging, merge(L, L + x_e), as the exact engine
   does (`_mitm_kernels`: 64-bit integer keys that order as the doubles do, four branch-free
   chains per merge, every level kept), but from 0.0 and the coefficients as they are (no sign
   trick: merging two sorted lists needs none), and with each sum's popcount (how many
   coefficients it keeps) carried along: a merge step loads it from L's list through the index
   it took, plus one if it took from L + x_e. A subset itself is traced back through the
   levels only for the one pair chosen.
2. The pairs within τ. For a in A, the sums b of B with −τ ≤ (a + b) − t ≤ τ form a window of
   sorted B, which moves right as a decreases (rounding is monotone, so this holds for the
   float64 expression too). The low ends come from a merge-like walk of integer keys (four
   chains): the rank among B's keys of t − τ − a, lowered by more than rounding can move the
   float64 test's boundary, so each is a lower bound; one float64 test per a moves it up to
   the exact end (it almost never moves). The high end follows from the previous a's or the
   low end, one float64 test per a too: the windows are short at a small τ, so these loops'
   branches are predictable.
3. The pair. Among the pairs in the windows: the fewest popcounts in all, p*; then the least
   error; ties as the buckets' sweeps below break them (lowest popcount of a, first a, then the
   first b at or above t − a, else the last below). A window longer than 16 sums (a large τ)
   sends the instance to the buckets instead: each half bucketed by popcount (a stable counting
   sort, so every bucket stays ascending); for p = 0, 1, ..., and every split p = q_A + q_B, a
   two-pointer sweep over buckets A_{q_A} and B_{q_B} finds the pair closest to t, until some
   p's best is within τ: that p is p*, and its best the pair (p* is small at a large τ, and so
   are its buckets). Without any pair within τ, the same sweep over all of A and B gives the
   plain optimum.

Work per instance: 2 (2^h1 + 2^h2) merge steps with popcounts, 2^h1 + 2^h2 walk steps and
~2^h1 float64 tests, and ~h^2 co-rank steps of traceback: at n = 21 about 1.4 times the
exact engine's time per instance (`_cost.py`). Sums and errors are float64 in merge order, so τ
is applied to float64 sums (for float32 coefficients too). The previous kernels (masks moved
with float64 sums, a deque for the window minimum) are the tests' oracle: the same subset on
every instance.
"""

from __future__ import annotations

import numba
import numpy as np
import torch

from ._budget import max_valid_count, row_chunks
from ._fewest_kernels import fewest_rows, level_offset


def _lengths(c: int) -> tuple[int, int, int]:
    """(keys per worker's level store, entries of its shifted list, entries per list buffer)
    for up to c valid coefficients, h = ceil(c/2): both halves' levels 0..h; the longest
    merge's input, 2^(h-1) + 2; and one list (−inf, 2^h sums, +inf); each padded to whole
    cache lines."""
    h = (c + 1) // 2
    return _padded(2 * level_offset(h + 1)), _padded(2 ** max(h - 1, 0) + 2), _padded(2**h + 2)


def _padded(n: int, itemsize: int = 8) -> int:
    """n items plus at least one cache line (64 bytes), rounded to whole lines, so that rows
    of a per-thread array never share a line."""
    per_line = 64 // itemsize
    return (n + 2 * per_line - 1) // per_line * per_line


def workspace_bytes(c: int) -> int:
    """Bytes of one worker's workspace for instances of up to c valid coefficients, h =
    ceil(c/2): every level of both halves' sorted sums (int64 keys, ~2^(h+1) per half), the
    shifted list L + x_e, four int64 popcount lists (two ping-pong per half; the idle pair
    takes the buckets' sums when a window is long) and two int64 lists of window ends (the
    buckets' positions): ~84 * 2^h."""
    store, shifted, n = _lengths(c)
    return 8 * (store + shifted + 4 * n + 2 * n + 2 * 64)


def fewest_numba(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    tolerance: float,
    budget: int,
    counts: torch.Tensor | None = None,
) -> torch.Tensor:
    """(m, k) bool: per row, the fewest-kept subset within `tolerance` (else the optimum);
    computed on CPU whatever the device, returned on coeffs' device. `counts`: the rows'
    valid counts (m,) where the caller has them (`valid_counts`)."""
    device = coeffs.device
    coeffs, targets, valid = coeffs.cpu(), targets.cpu(), valid.cpu()
    m, k = coeffs.shape
    chosen = np.zeros((m, k), dtype=np.bool_)
    if m == 0 or k == 0:
        return torch.from_numpy(chosen).to(device)
    c_max = max_valid_count(valid, budget) if counts is None else int(counts.max())
    ws = workspace_bytes(c_max)
    lanes = max(1, min(numba.get_num_threads(), m, budget // ws))
    chunks = row_chunks(
        m, 9 * k + 8, budget, shared=lanes * ws, why=f"fewest-kept search over {c_max} valid"
    )
    store_len, shifted_len, n = _lengths(c_max)
    store = np.empty((lanes, store_len), dtype=np.int64)
    shifted = np.empty((lanes, shifted_len), dtype=np.int64)
    counts = np.empty((lanes, 2, 2, n), dtype=np.int64)
    ends = np.empty((lanes, 2, n), dtype=np.int64)
    starts = np.empty((lanes, 2, 64), dtype=np.int64)
    # Per worker: the row's valid coefficients and their columns.
    x = np.empty((lanes, _padded(k)), dtype=np.float64)
    cols = np.empty((lanes, _padded(k)), dtype=np.int64)
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
                    store,
                    shifted,
                    counts,
                    ends,
                    starts,
                    x,
                    cols,
                )
    finally:
        numba.set_num_threads(threads)
    return torch.from_numpy(chosen).to(device)
