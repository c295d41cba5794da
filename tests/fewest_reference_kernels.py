"""The previous kernels of the ``fewest`` CPU solver, kept unchanged as the oracle of the
current ones (`approx.engine.subset_sum._fewest_kernels`): masks carried through float64
merges, popcounts of every sum, buckets by popcount. `reference_fewest(coeffs, targets, valid,
tol)` runs them; the tests require the same chosen subset for every row.

Per instance with c valid coefficients, target t and tolerance tol: split them into halves A
(h1 = floor(c/2)) and B; build each half's sorted subset sums with their masks by merging
(merge(L, L + x_e), stable); the fewest count p* is the least popcount(a) + popcount(b) over
pairs with |(a + b) - t| <= tol (window ends walked per a, short windows scanned, long ones by
a monotone deque); then, per split p* = q_A + q_B, the closest pair of the popcount buckets
(stable counting sort) wins, first split first; without any pair within tol, the closest pair
of all.
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from numba import njit, prange, uint64


@njit(cache=True, parallel=True)
def fewest_rows(
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
    lo_at, hi_at = masks[0, 1 - pa], masks[1, 1 - pb]  # idle until the buckets
    best = _fewest_count(a, ca, na, sums[1, pb], cb, nb, t, tol, deque, lo_at, hi_at)
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


# A window longer than this hands the instance to `_fewest_by_deque`.
_SCAN = 16


@njit(cache=True)
def _fewest_count(a, ca, na, b, cb, nb, t, tol, deque, lo_at, hi_at):  # pragma: no cover
    """`_fewest_by_deque`'s count, faster when the windows are short (a small tol). `b` is the
    whole buffer (−inf, list, +inf). Each a's window [lo_at[i], hi_at[i]) of b's list comes from
    branch-free chains (`_window_ends`: the pointers' advance is a coin flip, so a branchy loop
    mispredicts about once per a); every window of at most _SCAN sums is scanned for its least
    popcount, and a longer one (a large tol) hands the instance to the deque (linear)."""
    _window_ends(a, na, b, nb, t, tol, lo_at, hi_at)
    best = -1
    for i in range(na - 1, -1, -1):
        lo = lo_at[i]
        hi = hi_at[i]
        if lo < hi:
            if hi - lo > _SCAN:
                return _fewest_by_deque(a, ca, na, b[1:], cb, nb, t, tol, deque)
            q = cb[lo]
            for j in range(lo + 1, hi):
                q = min(q, cb[j])
            p = np.int64(ca[i]) + np.int64(q)
            if best < 0 or p < best:
                best = p
    return best


@njit(cache=True, inline="always")
def _below(ai, bk, t, tol, low_end):  # pragma: no cover - compiled
    """Whether b_k lies below a_i's window's low end (low_end) or not above its high end."""
    d = (ai + bk) - t
    return (d < -tol) if low_end else (d <= tol)


@njit(cache=True)
def _window_ends(a, na, b, nb, t, tol, lo_at, hi_at):  # pragma: no cover - compiled
    """lo_at[i], hi_at[i] = how many of b's list lie `_below` a[i]'s window's low end, and
    not above its high end, for all i (non-increasing in i). Each is walked by two chains
    towards each other: one from a's top (count 0 upwards), one from a's bottom (its count
    found by binary search, downwards), so each does half the walk; the four chains step
    together. Buffer index k + 1 is list index k; a top chain's i counts down as i − 1."""
    one = uint64(1)
    i0, k0, i1 = uint64(na), uint64(0), uint64(0)
    k1 = _count_below(a[0], b, nb, t, tol, True)
    i2, k2, i3 = uint64(na), uint64(0), uint64(0)
    k3 = _count_below(a[0], b, nb, t, tol, False)
    while i0 > i1 and i2 > i3:
        i0, k0, i1, k1 = _walk(a, b, t, tol, True, lo_at, i0, k0, i1, k1)
        i2, k2, i3, k3 = _walk(a, b, t, tol, False, hi_at, i2, k2, i3, k3)
    while i0 > i1:
        i0, k0, i1, k1 = _walk(a, b, t, tol, True, lo_at, i0, k0, i1, k1)
    while i2 > i3:
        i2, k2, i3, k3 = _walk(a, b, t, tol, False, hi_at, i2, k2, i3, k3)
    # The elements the chains of a walk were on when they met may hold a partial count of the
    # chain that stopped, written after the other chain's final one: count them again.
    for low_end, at, i_top, i_bottom in ((True, lo_at, i0, i1), (False, hi_at, i2, i3)):
        if i_top > 0:
            at[i_top - one] = _count_below(a[i_top - one], b, nb, t, tol, low_end)
        if i_bottom < na:
            at[i_bottom] = _count_below(a[i_bottom], b, nb, t, tol, low_end)


@njit(cache=True, inline="always")
def _walk(a, b, t, tol, low_end, at, i0, k0, i1, k1):  # pragma: no cover - compiled
    """One step of each of a walk's two chains (`_window_ends`), branch-free."""
    one = uint64(1)
    step = _below(a[i0 - one], b[k0 + one], t, tol, low_end)
    at[i0 - one] = k0
    k0 += uint64(step)
    i0 -= uint64(not step)
    done = _below(a[i1], b[k1], t, tol, low_end)  # b[k1] is list index k1 − 1
    at[i1] = k1
    i1 += uint64(done)
    k1 -= uint64(not done)
    return i0, k0, i1, k1


@njit(cache=True, inline="always")
def _count_below(ai, b, nb, t, tol, low_end):  # pragma: no cover - compiled
    """How many of b's list (buffer index k + 1 = list index k) lie `_below` ai: a prefix."""
    one = uint64(1)
    lo = uint64(0)
    hi = uint64(nb)
    while lo < hi:
        k = (lo + hi) >> one
        if _below(ai, b[k + one], t, tol, low_end):
            lo = k + one
        else:
            hi = k
    return lo


@njit(cache=True)
def _fewest_by_deque(a, ca, na, b, cb, nb, t, tol, deque):  # pragma: no cover - compiled
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


def reference_fewest(coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, tol):
    """(m, k) bool chosen by the previous kernels (CPU, all numba threads)."""
    m, k = coeffs.shape
    chosen = np.zeros((m, k), dtype=np.bool_)
    if m == 0 or k == 0:
        return torch.from_numpy(chosen)
    n = 2 ** ((int(valid.sum(1).max()) + 1) // 2) + 2
    lanes = numba.get_num_threads()
    fewest_rows(
        coeffs.to(torch.float64).contiguous().numpy(),
        targets.to(torch.float64).contiguous().numpy(),
        valid.contiguous().numpy(),
        float(tol),
        chosen,
        np.empty((lanes, 2, 3, n), dtype=np.float64),
        np.empty((lanes, 2, 3, n), dtype=np.int64),
        np.empty((lanes, 2, n), dtype=np.uint8),
        np.empty((lanes, n), dtype=np.int64),
        np.empty((lanes, 2, 64), dtype=np.int64),
        np.empty((lanes, max(k, 1)), dtype=np.int64),
    )
    return torch.from_numpy(chosen)
