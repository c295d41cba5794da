"""Exactly s coefficients per row, on CPU: meet in the middle over sizes — the driver
(workspace sizing, chunking, threads) of the kernel `fixed_rows` in `_fixed_kernels`.

Per instance with c valid coefficients, target t and size s' = min(s, c): among the subsets with
exactly s' elements, one whose sum is closest to t (the random fixed-size subset-sum problem of
Natale et al. 2024, Theorem 2).

1. Split the valid coefficients into half A (h1 = floor(c/2)) and half B (h2 = c − h1). For each
   half build, for every q ≤ min(s', h), the ascending list of the sums of its q-element subsets,
   with their bit masks: adding element x turns list q into merge(list q, list q−1 + x).
2. A subset of s' elements is a q_A-subset of A plus a q_B-subset of B with q_A + q_B = s'. For
   every split, a two-pointer sweep over the two ascending lists (`_closest`) finds the closest
   pair; the best split wins.

Lists hold C(h, q) sums, so a half holds Σ_{q ≤ min(s', h)} C(h, q) ≤ 2^h of them: polynomial in
h for small s' (a sparse ticket's regime), 2^h at worst, like ``exact``. Work is a small multiple
of that per instance. Sums are float64 in merge order.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch

from ...basics.errors import InvalidArgument
from ._budget import max_valid_count, row_chunks, valid_counts
from ._fixed_kernels import fixed_rows

MAX_FIXED_VALID = 124  # valid coefficients per row: each half's subsets are int64 bit masks
MAX_COUNT = 64  # lists per half: subset sizes 0..62, and the end offset
MAX_EXCESS = 16  # most coefficients beyond the budget's capacity a row may enumerate


def _capacity(c: int, s: int) -> int:
    """Sums one half holds for up to c valid coefficients and size s."""
    h = (c + 1) // 2
    return sum(math.comb(h, q) for q in range(min(s, h) + 1))


def workspace_bytes(c: int, s: int) -> int:
    """Bytes of one worker's workspace for up to c valid coefficients and size s: per half two
    ping-pong buffers of float64 sums and int64 masks, plus list lengths and offsets."""
    return 2 * 2 * 16 * _capacity(c, s) + 2 * 2 * 8 * (MAX_COUNT + 1)


def fixed_numba(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    sizes: torch.Tensor,
    budget: int,
) -> torch.Tensor:
    """(m, k) bool: per row, the subset of exactly min(sizes[r], valid count) valid coefficients
    closest to the target; computed on CPU whatever the device, returned on coeffs' device."""
    device = coeffs.device
    coeffs, targets, valid = coeffs.cpu(), targets.cpu(), valid.cpu()
    sizes = np.ascontiguousarray(sizes.cpu().numpy().astype(np.int64))
    m, k = coeffs.shape
    chosen = np.zeros((m, k), dtype=np.bool_)
    if m == 0 or k == 0:
        return torch.from_numpy(chosen).to(device)
    c_max = max_valid_count(valid, budget)
    s_max = int(sizes.max())
    ws = workspace_bytes(c_max, s_max)
    lanes = max(1, min(numba.get_num_threads(), m, budget // ws))
    chunks = row_chunks(
        m,
        9 * k + 16,
        budget,
        shared=lanes * ws,
        why=f"fixed-size search over {c_max} valid, size {s_max}",
    )
    cap = _capacity(c_max, s_max)
    sums = np.empty((lanes, 2, 2, cap), dtype=np.float64)
    masks = np.empty((lanes, 2, 2, cap), dtype=np.int64)
    lens = np.empty((lanes, 2, MAX_COUNT), dtype=np.int64)
    offs = np.empty((lanes, 2, MAX_COUNT + 1), dtype=np.int64)
    cols = np.empty((lanes, max(k, 1)), dtype=np.int64)
    threads = numba.get_num_threads()
    numba.set_num_threads(lanes)
    try:
        with numba.parallel_chunksize(max(1, min(64, m // (16 * lanes)))):
            for rows in chunks:
                fixed_rows(
                    coeffs[rows].to(torch.float64).contiguous().numpy(),
                    targets[rows].to(torch.float64).contiguous().numpy(),
                    valid[rows].contiguous().numpy(),
                    sizes[rows],
                    chosen[rows],
                    sums,
                    masks,
                    lens,
                    offs,
                    cols,
                )
    finally:
        numba.set_num_threads(threads)
    return torch.from_numpy(chosen).to(device)


def fixed_in_memory(size: int, budget: int, most: int) -> int:
    """The most valid coefficients (≤ `most`) one instance of `size` may have to be solved in a
    single meet in the middle within `budget` bytes."""
    fits = [c for c in range(most + 1) if workspace_bytes(c, size) + 9 * c + 16 <= budget]
    return max(fits, default=0)


def fixed_by_enumeration(coeff, target, valid, cap: int, size: int, budget: int) -> torch.Tensor:
    """One row with c > cap valid coefficients: for each subset F of its first c − cap valid
    coefficients with |F| ≤ s' = min(size, c) and s' − |F| ≤ cap, the best (s' − |F|)-subset
    of the other cap for target − ΣF (one batch); the best of those is the row's answer."""
    cols = valid.nonzero().flatten()
    s = min(size, cols.numel())
    excess = cols.numel() - cap
    fixed, rest = cols[:excess], cols[excess:]
    shifts = torch.arange(excess, device=coeff.device)
    bits = ((torch.arange(2**excess, device=coeff.device)[:, None] >> shifts) & 1).to(torch.bool)
    need = s - bits.sum(1)  # (2^e,): elements still to pick among the other cap
    ok = (need >= 0) & (need <= cap)
    bits, need = bits[ok], need[ok]
    batch = coeff[rest].to(torch.float64).expand(len(bits), cap).contiguous()  # (f, cap)
    fixed_sums = (bits * coeff[fixed].to(torch.float64)).sum(1)  # (f,)
    everything = torch.ones_like(batch, dtype=torch.bool)
    sub = fixed_numba(batch, target.double() - fixed_sums, everything, need, budget)
    err = (fixed_sums + (batch * sub).sum(1) - target.double()).abs()  # (f,)
    best = int(err.argmin())
    row = torch.zeros_like(valid)
    row[fixed] = bits[best]
    row[rest] = sub[best]
    return row


def fixed_capacity(valid: torch.Tensor, size: int, budget: int) -> int:
    """`fixed_in_memory` for this batch; a row more than `MAX_EXCESS` valid coefficients beyond
    it is refused (its enumeration would take hours), naming the size and the budget."""
    cap = fixed_in_memory(size, budget, MAX_FIXED_VALID)
    counts = valid_counts(valid)
    if counts.numel() and int(counts.max()) - cap > MAX_EXCESS:
        raise InvalidArgument(
            f"coeffs has a row with {int(counts.max())} valid coefficients; method='fixed' with "
            f"size={size} holds {cap} within memory_budget={budget} (and enumerates at most "
            f"{MAX_EXCESS} more): lower the size or the coefficients, or raise memory_budget"
        )
    return cap


def check_subset_size(method: str, size: int | None) -> None:
    """``fixed`` needs an integer size >= 0; the other methods take none."""
    if method != "fixed":
        if size is not None:
            raise InvalidArgument(f"size={size!r} is only used by method='fixed', not {method!r}")
        return
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidArgument(f"size={size!r}: method='fixed' needs an integer size >= 0")
