"""Exact subset sum with vectorised torch: meet in the middle on any device (used for CUDA).

Per instance with c valid coefficients, halves of h1 = floor(c/2) and h2 = c - h1: enumerate
half B's 2^h2 subset sums as a product (subset bits) @ (coefficients), sort them, then for each
of half A's 2^h1 sums look up target - sum_A with `torch.searchsorted` and check the two
neighbours. Rows are grouped by their number of valid coefficients (compacted to the left), so a
row with few valid coefficients costs 2^(c/2), not 2^(k/2). When one row's half A does not fit
in the budget it is enumerated in slices against the same sorted half B.
"""

from __future__ import annotations

import torch

from ...basics.errors import InvalidArgument
from ._budget import max_valid_count, valid_counts

# Subset indices are int64 and a row's half B must be sortable in one piece.
MAX_VALID = 62

# Bytes per row per element of the sorted half B (sums, sorted sums, sort indices, sort
# scratch) and per enumerated subset of half A (sums, need, positions, two candidates, errors).
_PER_B = 40
_PER_A = 96


def exact_torch(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    budget: int,
    counts: torch.Tensor | None = None,
) -> torch.Tensor:
    """(m, k) bool, the optimal subset of every row, on coeffs' device. `counts`: the rows'
    valid counts (m,) where the caller has them (`valid_counts`), so the mask is not counted
    again."""
    m, k = coeffs.shape
    chosen = torch.zeros((m, k), dtype=torch.bool, device=coeffs.device)
    if m == 0 or k == 0:
        return chosen
    c_max = max_valid_count(valid, budget) if counts is None else int(counts.max())
    if c_max > MAX_VALID:
        raise InvalidArgument(
            f"coeffs has a row with {c_max} valid coefficients; the torch exact solver accepts "
            f"at most {MAX_VALID}"
        )
    # An eighth of the budget holds a block's bookkeeping (column order, counts, gathered
    # coefficients: < 24k + 32 bytes a row); the rest its meet-in-the-middle temporaries.
    block = max(1, budget // 8 // (24 * k + 32))
    for lo in range(0, m, block):
        hi = min(lo + block, m)
        block_counts = valid_counts(valid[lo:hi]) if counts is None else counts[lo:hi]  # (b,)
        _solve_block(
            coeffs[lo:hi],
            targets[lo:hi],
            valid[lo:hi],
            block_counts,
            chosen[lo:hi],
            budget * 7 // 8,
        )
    return chosen


def _solve_block(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    counts: torch.Tensor,
    chosen: torch.Tensor,
    budget: int,
) -> None:
    """Fill `chosen` (a view) for a block of rows, grouped by their number of valid ones
    (`counts` (m,))."""
    # perm[r] lists row r's valid columns first, in their original order.
    perm = torch.argsort((~valid).to(torch.int8), dim=1, stable=True)  # (m, k)
    order = torch.argsort(counts, stable=True)  # (m,)
    sizes, group_counts = torch.unique_consecutive(counts[order], return_counts=True)
    start = 0
    for c, size in zip(sizes.tolist(), group_counts.tolist(), strict=True):
        group = order[start : start + size]
        start += size
        if c == 0:
            continue
        h1 = c // 2
        h2 = c - h1
        step, rows_per_chunk = _plan(h1, h2, budget)
        for lo in range(0, size, rows_per_chunk):
            rows = group[lo : lo + rows_per_chunk]  # (b,)
            cols = perm[rows, :c]  # (b, c)
            x = coeffs[rows[:, None], cols].to(torch.float64)  # (b, c)
            t = targets[rows].to(torch.float64)  # (b,)
            pick_a, pick_b = _solve_group(x[:, :h1], x[:, h1:], t, step)
            chosen[rows[:, None], cols] = torch.cat([_bits(pick_a, h1), _bits(pick_b, h2)], 1)


def torch_fits(c: int, budget: int) -> bool:
    """Whether one instance of c valid coefficients fits the budget (slicing half A)."""
    h2 = c - c // 2
    return budget * 7 // 8 >= _PER_B * 2**h2 + _PER_A + 24 * h2


def _plan(h1: int, h2: int, budget: int) -> tuple[int, int]:
    """(subsets enumerated per slice, rows per chunk) keeping the temporaries within budget.

    A chunk of b rows enumerating s subsets at a time holds b * (40 * 2^h2 + 96 * s) bytes plus
    a shared (s, h) bit matrix (~24 bytes an entry while it is built).
    """
    n_b = 2**h2
    s = 2**h1
    while True:
        rows = (budget - 24 * s * h2) // (_PER_B * n_b + _PER_A * s)
        if rows >= 1:
            return s, rows
        if s == 1:
            raise InvalidArgument(
                f"coeffs: meet in the middle over {h1 + h2} valid coefficients needs more than "
                f"memory_budget={budget} bytes for one instance"
            )
        s //= 2


def _half_sums(x: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
    """(b, hi - lo) sums of the subsets lo..hi-1 of each row of x (b, h), in index order."""
    h = x.shape[1]
    bits = (torch.arange(lo, hi, device=x.device)[:, None] >> torch.arange(h, device=x.device)) & 1
    return x @ bits.to(x.dtype).T  # (b, hi - lo)


def _solve_group(
    xa: torch.Tensor, xb: torch.Tensor, t: torch.Tensor, step: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Subset indices (b,), (b,) of half A and half B minimising |sum_A + sum_B - t|."""
    b, h1 = xa.shape
    n_a = 2**h1
    n_b = 2 ** xb.shape[1]
    sums_b = torch.empty((b, n_b), dtype=torch.float64, device=t.device)
    for lo in range(0, n_b, step):
        sums_b[:, lo : lo + step] = _half_sums(xb, lo, min(lo + step, n_b))
    sorted_b, index_b = torch.sort(sums_b, dim=1)  # (b, n_b)
    del sums_b
    last = sorted_b.shape[1] - 1
    best = torch.full((b,), torch.inf, dtype=torch.float64, device=t.device)
    pick_a = torch.zeros(b, dtype=torch.int64, device=t.device)
    pick_b = torch.zeros(b, dtype=torch.int64, device=t.device)
    for lo in range(0, n_a, step):
        sums_a = _half_sums(xa, lo, min(lo + step, n_a))  # (b, s)
        pos = torch.searchsorted(sorted_b, t[:, None] - sums_a)  # (b, s)
        err_best = None
        for cand in (pos.clamp(max=last), (pos - 1).clamp(min=0)):
            err = (sums_a + sorted_b.gather(1, cand) - t[:, None]).abs_()  # (b, s)
            if err_best is None:
                err_best, cand_best = err, cand
            else:
                closer = err < err_best
                err_best = torch.where(closer, err, err_best)
                cand_best = torch.where(closer, cand, cand_best)
        err_row, at = err_best.min(1)  # (b,)
        closer = err_row < best
        best = torch.where(closer, err_row, best)
        pick_a = torch.where(closer, at + lo, pick_a)
        pick_b = torch.where(
            closer, index_b.gather(1, cand_best.gather(1, at[:, None]))[:, 0], pick_b
        )
    return pick_a, pick_b


def _bits(index: torch.Tensor, h: int) -> torch.Tensor:
    """(b, h) bool: the subset whose index is `index` (b,), bit e = coefficient e."""
    return (index[:, None] >> torch.arange(h, device=index.device)) & 1 == 1
