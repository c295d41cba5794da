"""The compiled kernels of the ``fixed`` CPU solver (exactly s coefficients, closest to the
target); the driver and the algorithm are in `_fixed`. All njit functions live in this one
module: numba's on-disk cache is invalidated by a change of the file that holds a function,
not of the files it calls into (so `_closest` is this module's own copy of the ``fewest``
kernels' sweep).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange


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
