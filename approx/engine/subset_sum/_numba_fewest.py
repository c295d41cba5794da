"""Fewest kept coefficients within a tolerance, on CPU: meet in the middle with popcounts.

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
from numba import njit, prange

from ._budget import max_valid_count, row_chunks


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
                _fewest_rows(
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


@njit(cache=True, parallel=True)
def _fewest_rows(
    coeffs, targets, valid, tol, chosen, sums, masks, counts, deque, starts, cols
):  # pragma: no cover - compiled
    for r in prange(coeffs.shape[0]):
        lane = numba.get_thread_id()
        _solve_row(
            coeffs[r], targets[r], valid[r], tol, chosen[r], sums[lane], masks[lane],
            counts[lane], deque[lane], starts[lane], cols[lane],
        )  # fmt: skip


@njit(cache=True)
def _solve_row(
    coeffs, t, valid, tol, chosen, sums, masks, counts, deque, starts, cols
):  # pragma: no cover - compiled
    c = 0
    for col in range(coeffs.shape[0]):
        if valid[col]:
            cols[c] = col
            c += 1
    if c == 0:
        return
    h1 = c // 2
    h2 = c - h1
    pa = _build(coeffs, cols[:h1], sums[0], masks[0], counts[0])
    pb = _build(coeffs, cols[h1:c], sums[1], masks[1], counts[1])
    a, ma, ca = sums[0, pa, 1:], masks[0, pa, 1:], counts[0]
    b, mb, cb = sums[1, pb, 1:], masks[1, pb, 1:], counts[1]
    na = 1 << h1
    nb = 1 << h2
    best = _fewest_count(a, ca, na, b, cb, nb, t, tol, deque)
    if best < 0:
        i, j, _ = _closest(a, 0, na, b, 0, nb, t)
        subset_a = ma[i]
        subset_b = mb[j]
    else:
        # The idle ping-pong buffers take the popcount buckets.
        sa, ka = sums[0, 1 - pa, 1:], masks[0, 1 - pa, 1:]
        sb, kb = sums[1, 1 - pb, 1:], masks[1, 1 - pb, 1:]
        _bucket(a, ma, ca, na, h1, sa, ka, starts[0])
        _bucket(b, mb, cb, nb, h2, sb, kb, starts[1])
        err = np.inf
        subset_a = 0
        subset_b = 0
        for qa in range(max(0, best - h2), min(h1, best) + 1):
            qb = best - qa
            lo_a, hi_a = starts[0, qa], starts[0, qa + 1]
            lo_b, hi_b = starts[1, qb], starts[1, qb + 1]
            if lo_a == hi_a or lo_b == hi_b:
                continue
            i, j, d = _closest(sa, lo_a, hi_a, sb, lo_b, hi_b, t)
            if d < err:
                err = d
                subset_a = ka[i]
                subset_b = kb[j]
    for e in range(h1):
        chosen[cols[e]] = (subset_a >> e) & 1 == 1
    for e in range(h2):
        chosen[cols[h1 + e]] = (subset_b >> e) & 1 == 1


@njit(cache=True)
def _build(coeffs, cols, sums, masks, counts):  # pragma: no cover - compiled
    """Ascending subset sums of coeffs[cols] with their masks and popcounts, ping-ponging
    between buffers 0 and 1 of `sums` (and `masks`); returns which one holds the result.

    A buffer holds −inf, the list, +inf (list index + 1), the sentinels of the merges. Buffer 2
    takes L + x_e and its masks first, so the merge's chain has no add. Each merge runs as two
    independent, branch-free chains (which list the next sum comes from is a coin flip on
    random data): from the front taking the smaller head (L on ties) and from the back taking
    the larger tail (L + x_e on ties), the same order, n steps each.
    """
    p = 0
    sums[p, 1] = 0.0
    masks[p, 1] = 0
    n = 1
    sh, msh = sums[2], masks[2]
    for e in range(cols.shape[0]):
        x = coeffs[cols[e]]
        bit = np.int64(1) << e
        src, dst = sums[p], sums[1 - p]
        msrc, mdst = masks[p], masks[1 - p]
        src[0] = -np.inf
        src[n + 1] = np.inf
        sh[0] = -np.inf
        sh[n + 1] = np.inf
        for s in range(1, n + 1):
            sh[s] = src[s] + x
            msh[s] = msrc[s] | bit
        i0 = 1
        j0 = 1
        o0 = 1
        i1 = n
        j1 = n
        o1 = n + n
        for _ in range(n):
            u = src[i0]
            v = sh[j0]
            t = u <= v
            dst[o0] = min(u, v)
            mi = msrc[i0]
            mj = msh[j0]
            mdst[o0] = mj ^ ((mi ^ mj) & -np.int64(t))
            i0 += t
            j0 += not t
            o0 += 1
            u = src[i1]
            v = sh[j1]
            t = u > v
            dst[o1] = max(u, v)
            mi = msrc[i1]
            mj = msh[j1]
            mdst[o1] = mj ^ ((mi ^ mj) & -np.int64(t))
            i1 -= t
            j1 -= not t
            o1 -= 1
        n += n
        p = 1 - p
    sums[p, 0] = -np.inf
    sums[p, n + 1] = np.inf
    for s in range(1, n + 1):
        w = masks[p, s]
        q = 0
        while w:
            w &= w - 1
            q += 1
        counts[s - 1] = q
    return p


@njit(cache=True)
def _fewest_count(a, ca, na, b, cb, nb, t, tol, deque):  # pragma: no cover - compiled
    """Least popcount(a) + popcount(b) over pairs with |(a + b) − t| ≤ tol; −1 if none.

    a descending: the window [lo, hi) of b with −tol ≤ (a + b) − t ≤ tol moves right; `deque`
    holds window positions with increasing popcounts (a position behind one with no larger
    popcount can never be the minimum again), so its front is the window's minimum."""
    best = -1
    lo = 0
    hi = 0
    front = 0
    back = 0
    for i in range(na - 1, -1, -1):
        ai = a[i]
        while hi < nb and (ai + b[hi]) - t <= tol:
            q = cb[hi]
            while back > front and cb[deque[back - 1]] >= q:
                back -= 1
            deque[back] = hi
            back += 1
            hi += 1
        while lo < hi and (ai + b[lo]) - t < -tol:
            lo += 1
        while back > front and deque[front] < lo:
            front += 1
        if back > front:
            p = np.int64(ca[i]) + np.int64(cb[deque[front]])
            if best < 0 or p < best:
                best = p
                if best == 0:
                    break
    return best


@njit(cache=True)
def _bucket(s, m, q, n, h, out_s, out_m, starts):  # pragma: no cover - compiled
    """Stable counting sort of positions 0..n−1 by popcount q: bucket p is
    out_s[starts[p]:starts[p + 1]], still ascending."""
    for p in range(h + 2):
        starts[p] = 0
    for i in range(n):
        starts[q[i] + 1] += 1
    for p in range(1, h + 2):
        starts[p] += starts[p - 1]
    fill = starts[: h + 1].copy()
    for i in range(n):
        at = fill[q[i]]
        out_s[at] = s[i]
        out_m[at] = m[i]
        fill[q[i]] = at + 1


@njit(cache=True)
def _closest(a, lo_a, hi_a, b, lo_b, hi_b, t):  # pragma: no cover - compiled
    """Positions (i, j) in a[lo_a:hi_a], b[lo_b:hi_b] (both ascending, non-empty) minimising
    |(a_i + b_j) − t|, and that distance. As a_i grows the best b_j can only move down."""
    best = np.inf
    bi = lo_a
    bj = lo_b
    j = hi_b - 1
    for i in range(lo_a, hi_a):
        ai = a[i]
        while j > lo_b and (ai + b[j - 1]) - t >= 0.0:
            j -= 1
        d = abs((ai + b[j]) - t)
        if d < best:
            best = d
            bi = i
            bj = j
        if j > lo_b:
            d = abs((ai + b[j - 1]) - t)
            if d < best:
                best = d
                bi = i
                bj = j - 1
    return bi, bj, best


# Exactly s coefficients (method "fixed"); here because they call `_closest` (numba's cache
# only tracks the file that defines a function).


@njit(cache=True, parallel=True)
def fixed_rows(
    coeffs, targets, valid, sizes, chosen, sums, masks, lens, offs, cols
):  # pragma: no cover - compiled
    for r in prange(coeffs.shape[0]):
        lane = numba.get_thread_id()
        _fixed_row(
            coeffs[r], targets[r], valid[r], sizes[r], chosen[r], sums[lane], masks[lane],
            lens[lane], offs[lane], cols[lane],
        )  # fmt: skip


@njit(cache=True)
def _fixed_row(
    coeffs, t, valid, s, chosen, sums, masks, lens, offs, cols
):  # pragma: no cover - compiled
    """Exactly min(s, c) of the c valid coefficients, closest to t: the best over the splits
    s = q_A + q_B of the closest pair of half A's size-q_A and half B's size-q_B sums."""
    c = 0
    for col in range(coeffs.shape[0]):
        if valid[col]:
            cols[c] = col
            c += 1
    s = min(s, c)
    h1 = c // 2
    h2 = c - h1
    pa = _build_by_count(coeffs, cols[:h1], min(s, h1), sums[0], masks[0], lens[0], offs[0])
    pb = _build_by_count(coeffs, cols[h1:c], min(s, h2), sums[1], masks[1], lens[1], offs[1])
    err, subset_a, subset_b = np.inf, 0, 0
    for qa in range(max(0, s - h2), min(h1, s) + 1):
        qb = s - qa
        lo_a, lo_b = offs[0, qa], offs[1, qb]
        i, j, d = _closest(
            sums[0, pa], lo_a, lo_a + lens[0, qa], sums[1, pb], lo_b, lo_b + lens[1, qb], t
        )
        if d < err:
            err = d
            subset_a = masks[0, pa, i]
            subset_b = masks[1, pb, j]
    for e in range(h1):
        chosen[cols[e]] = (subset_a >> e) & 1 == 1
    for e in range(h2):
        chosen[cols[h1 + e]] = (subset_b >> e) & 1 == 1


@njit(cache=True)
def _build_by_count(coeffs, cols, top, sums, masks, lens, offs):  # pragma: no cover - compiled
    """Ascending sums of the subsets of coeffs[cols] with q = 0..top elements, one list per q
    at offs[q] (room for C(h, q) sums, h = len(cols)), lens[q] long, ping-ponging between
    buffers 0 and 1; returns which one holds the result. Adding element x turns list q into
    merge(list q, list q-1 + x), q from the top down so that list q-1 is still the old one."""
    h = cols.shape[0]
    offs[0] = 0
    binom = 1
    for q in range(top + 1):
        offs[q + 1] = offs[q] + binom
        binom = binom * (h - q) // (q + 1)
        lens[q] = 0
    p = 0
    sums[p, 0], masks[p, 0], lens[0] = 0.0, 0, 1
    for e in range(h):
        x = coeffs[cols[e]]
        bit = np.int64(1) << e
        src, dst, msrc, mdst = sums[p], sums[1 - p], masks[p], masks[1 - p]
        for q in range(min(e + 1, top), 0, -1):
            i, i_end = offs[q], offs[q] + lens[q]
            j, j_end = offs[q - 1], offs[q - 1] + lens[q - 1]
            o = offs[q]
            while i < i_end or j < j_end:
                if j == j_end or (i < i_end and src[i] <= src[j] + x):
                    dst[o] = src[i]
                    mdst[o] = msrc[i]
                    i += 1
                else:
                    dst[o] = src[j] + x
                    mdst[o] = msrc[j] | bit
                    j += 1
                o += 1
            lens[q] += lens[q - 1]
        dst[0], mdst[0] = 0.0, 0  # list 0: the empty subset
        p = 1 - p
    return p
