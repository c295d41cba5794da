"""Exact subset sum on CPU: Horowitz-Sahni meet-in-the-middle, compiled with numba — the
driver: workspace sizing, chunking, threads. The compiled kernels and the algorithm's
description are in `_mitm_kernels`.
"""

from __future__ import annotations

import numba
import numpy as np
import torch

from ...basics.errors import InvalidArgument
from ._budget import max_valid_count, row_chunks
from ._mitm_kernels import exact_rows, level_offset

# Masks are traced into int64 bit sets; memory_budget binds long before this.
MAX_VALID = 62


def _lengths(c: int) -> tuple[int, int]:
    """(keys per worker's level store, keys in its shifted-list buffer) for up to c valid
    coefficients: both halves' levels 0..h, h = ceil(c/2), and one list of 2^(h-1)."""
    h = (c + 1) // 2
    return _padded(2 * level_offset(h + 1)), _padded(2 ** max(h - 1, 0) + 2)


def _padded(n: int, itemsize: int = 8) -> int:
    """n items plus at least one cache line (64 bytes), rounded to whole lines, so that rows
    of a per-thread array never share a line (one thread's writes would keep evicting the
    other thread's copy)."""
    per_line = 64 // itemsize
    return (n + 2 * per_line - 1) // per_line * per_line


def workspace_bytes(c: int) -> int:
    """Bytes of one worker's workspace for instances of up to c valid coefficients.

    Every level of both halves' sorted lists (2^(h+1) + 2(h+1) keys per half, h = ceil(c/2))
    and the shifted copy L + x_e of the longest merge's input (2^(h-1) + 2), each padded by a
    cache line: about 36 * 2^ceil(c/2) bytes.
    """
    store, shifted = _lengths(c)
    return 8 * (store + shifted)


def exact_numba(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    budget: int,
    counts: torch.Tensor | None = None,
) -> torch.Tensor:
    """(m, k) bool, the optimal subset of every row; CPU tensors only. `counts`: the rows'
    valid counts (m,) where the caller has them (`valid_counts`), so the mask is not counted
    again."""
    m, k = coeffs.shape
    chosen = np.zeros((m, k), dtype=np.bool_)
    if m == 0 or k == 0:
        return torch.from_numpy(chosen)
    c_max = max_valid_count(valid, budget) if counts is None else int(counts.max())
    if c_max > MAX_VALID:
        raise InvalidArgument(
            f"coeffs has a row with {c_max} valid coefficients; method='exact' accepts at most "
            f"{MAX_VALID}"
        )
    ws = workspace_bytes(c_max)
    # Per row: the float64 copy of coeffs (8k), targets (8) and valid (k) for the kernel; a
    # second worker only where its workspace leaves room for a row.
    per_row = 9 * k + 8
    lanes = max(1, min(numba.get_num_threads(), m, (budget - per_row) // ws))
    chunks = row_chunks(
        m, per_row, budget, shared=lanes * ws, why=f"meet in the middle over {c_max} valid"
    )
    store_len, shifted_len = _lengths(c_max)
    store = np.empty((lanes, store_len), dtype=np.int64)
    shifted = np.empty((lanes, shifted_len), dtype=np.int64)
    # Per worker: the row's valid coefficients' magnitudes, signs and columns.
    x = np.empty((lanes, _padded(k)), dtype=np.float64)
    neg = np.empty((lanes, _padded(k, 1)), dtype=np.bool_)
    cols = np.empty((lanes, _padded(k)), dtype=np.int64)
    threads = numba.get_num_threads()
    numba.set_num_threads(lanes)
    try:
        # Rows are handed out dynamically in small blocks: on a shared machine one thread may
        # get less of a core than the other, and a static split would wait for it.
        with numba.parallel_chunksize(max(1, min(64, m // (16 * lanes)))):
            for rows in chunks:
                exact_rows(
                    coeffs[rows].to(torch.float64).contiguous().numpy(),
                    targets[rows].to(torch.float64).contiguous().numpy(),
                    valid[rows].contiguous().numpy(),
                    chosen[rows],
                    store,
                    shifted,
                    x,
                    neg,
                    cols,
                )
    finally:
        numba.set_num_threads(threads)
    return torch.from_numpy(chosen)
