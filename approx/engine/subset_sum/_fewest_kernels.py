"""The compiled kernels of the ``fewest`` CPU solver; the algorithm is described in
`_numba_fewest`. All njit functions live in this one module: numba's on-disk cache is
invalidated by a change of the file that holds a function, not of the files it calls into (so
the keys, merges and traceback are copies of `_mitm_kernels`', with popcounts carried along).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import int64, njit, prange, types, uint64
from numba.extending import intrinsic

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_MAG = np.int64(0x7FFFFFFFFFFFFFFF)
_NEG_INF = np.int64(-0x7FF0000000000001)  # key of -inf
_POS_INF = np.int64(0x7FF0000000000000)  # key of +inf
# A window longer than this hands the instance to `_fewest_by_buckets`.
_SCAN = 16
_ROUNDING = 2.0**-50  # 8 units in the last place
_TOO_LONG = -2


@intrinsic
def _bits(typingctx, value):  # pragma: no cover - compiled  (float64 bits as int64)
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _double(typingctx, bits):  # pragma: no cover - compiled
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@njit(cache=True, inline="always")
def _flip(k):  # pragma: no cover - compiled
    """Key <-> bits (an involution): negative doubles get their magnitude bits flipped."""
    return k ^ ((k >> np.int64(63)) & _MAG)


@njit(cache=True, inline="always")
def _key(value):  # pragma: no cover - compiled
    return _flip(_bits(value))


@njit(cache=True, inline="always")
def _value(key):  # pragma: no cover - compiled
    return _double(_flip(key))


def level_offset(e: int) -> int:
    """Where level e (2^e sums between two sentinels) starts in a half's store."""
    return (1 << e) - 1 + 2 * e


_off = njit(cache=True, inline="always")(level_offset)


@njit(cache=True, parallel=True)
def fewest_rows(
    coeffs, targets, valid, tol, chosen, store, shifted, counts, ends, starts, x, cols
):  # pragma: no cover - compiled
    """Solve every row; each worker thread uses its own slice of the workspace arrays."""
    for r in prange(coeffs.shape[0]):
        lane = numba.get_thread_id()
        _solve_row(
            coeffs[r], targets[r], valid[r], tol, chosen[r], store[lane], shifted[lane],
            counts[lane], ends[lane], starts[lane], x[lane], cols[lane],
        )  # fmt: skip


@njit(cache=True)
def _solve_row(
    coeffs, t, valid, tol, chosen, store, shifted, counts, ends, starts, x, cols
):  # pragma: no cover - compiled
    c, size = 0, 0.0
    for col in range(coeffs.shape[0]):
        if valid[col]:
            cols[c], x[c], size, c = col, coeffs[col], size + abs(coeffs[col]), c + 1
    if c == 0:
        return
    h1 = c // 2
    h2 = c - h1
    levels_a = store[: _off(h1 + 1)]
    levels_b = store[_off(h1 + 1) :]
    _build(x[:h1], levels_a, shifted, counts[0])
    _build(x[h1:c], levels_b, shifted, counts[1])
    na = 1 << h1
    nb = 1 << h2
    a = _as_values(levels_a[_off(h1) : _off(h1) + na + 2])[1:]
    # The low ends' guesses: the keys of t - tol - a_i ranked among B's keys, lowered by more
    # than rounding can move the float64 test's boundary, so each is a lower bound.
    low = (t - tol) - (_ROUNDING * (size + abs(t) + tol) + 1e-300)
    for i in range(na):
        ends[1, i] = _key(low - a[i])
    _ranks(ends[1], na, levels_b[_off(h2) :], nb, ends[0])
    b = _as_values(levels_b[_off(h2) : _off(h2) + nb + 2])[1:]
    ca = counts[0, h1 & 1, 1:]
    cb = counts[1, h2 & 1, 1:]
    i, j = _best_pair(a, ca, na, b, cb, nb, t, tol, ends[0])
    if i == _TOO_LONG:
        # The idle ping-pong popcount lists take the buckets' sums.
        sums = (counts[0, 1 - (h1 & 1)].view(np.float64), counts[1, 1 - (h2 & 1)].view(np.float64))
        i, j = _fewest_by_buckets(a, ca, na, h1, b, cb, nb, h2, t, tol, sums, ends, starts)
    elif i < 0:
        i, j = _nearest(a, na, b, nb, t, ends[0])
    subset_a = _trace(levels_a, x[:h1], h1, i)
    subset_b = _trace(levels_b, x[h1:c], h2, j)
    for e in range(h1):
        chosen[cols[e]] = (subset_a >> e) & 1 == 1
    for e in range(h2):
        chosen[cols[h1 + e]] = (subset_b >> e) & 1 == 1


@njit(cache=True)
def _build(x, levels, shifted, counts):  # pragma: no cover - compiled
    """Keys of the sorted subset sums of x, level by level, and their subsets' popcounts.
    Level e (the sums of the first e coefficients, formed in that order from 0.0) is kept at
    levels[_off(e):], as -inf, its 2^e sums, +inf (sentinels); `shifted` holds L + x_e;
    counts[e % 2] holds level e's popcounts at the same indices (the last two levels')."""
    levels[0] = _NEG_INF
    levels[1] = _key(0.0)
    levels[2] = _POS_INF
    shifted[0] = _NEG_INF
    counts[0, 1] = 0
    n = _U1
    for e in range(x.shape[0]):
        src = levels[_off(e) :]
        dst = levels[_off(e + 1) :]
        c_src = counts[e & 1]
        c_dst = counts[1 - (e & 1)]
        xe = x[e]
        for s in range(_U1, n + _U1):
            shifted[s] = _key(_value(src[s]) + xe)
        shifted[n + _U1] = _POS_INF
        dst[0] = _NEG_INF
        if n == _U1:  # 0 and x_0, 0 first on ties
            first = src[1] <= shifted[1]
            dst[1], dst[2] = min(src[1], shifted[1]), max(src[1], shifted[1])
            c_dst[1], c_dst[2] = 1 - first, first
        else:
            _merge_big(src, shifted, xe, c_src, n, dst, c_dst)
        n += n
        dst[n + _U1] = _POS_INF


@njit(cache=True, inline="always")
def _as_values(keys):  # pragma: no cover - compiled
    """The doubles a list of keys stands for, in place (the same memory, viewed as float64)."""
    for s in range(keys.shape[0]):
        keys[s] = _flip(keys[s])
    return keys.view(np.float64)


@njit(cache=True, inline="always")
def _pick(t, u, v):  # pragma: no cover - compiled
    """u if t else v (indices), branch-free: which list a merge takes from is a coin flip."""
    return v ^ ((u ^ v) & uint64(-int64(t)))


@njit(cache=True, inline="always")
def _merge_big(a, b, xe, ca, n, out, c_out):  # pragma: no cover - compiled
    """out[:2n] = stable merge(a[:n], b[:n]) for even n, b = a + x_e, as four dependency
    chains (`_mitm_kernels._merge_big`: the co-rank of output n splits it in two, each half
    run from both ends); c_out the popcounts, those of a, plus one for b's, loaded through
    the index the chain took. All arrays are whole buffers (-inf, list, +inf)."""
    i_mid = _corank_shifted(a[1:], xe, n, n)
    i0, j0 = _U1, _U1
    i1, j1 = i_mid, n - i_mid
    i2, j2 = i_mid + _U1, n - i_mid + _U1
    i3, j3 = n, n
    n1 = n + _U1
    for s in range(_U0, n >> _U1):
        u, v = a[i0], b[j0]
        t = u <= v
        out[s + _U1] = min(u, v)
        c_out[s + _U1] = ca[_pick(t, i0, j0)] + int64(not t)
        i0 += uint64(t)
        j0 += uint64(not t)
        u, v = a[i1], b[j1]
        t = u > v
        out[n - s] = max(u, v)
        c_out[n - s] = ca[_pick(t, i1, j1)] + int64(not t)
        i1 -= uint64(t)
        j1 -= uint64(not t)
        u, v = a[i2], b[j2]
        t = u <= v
        out[n1 + s] = min(u, v)
        c_out[n1 + s] = ca[_pick(t, i2, j2)] + int64(not t)
        i2 += uint64(t)
        j2 += uint64(not t)
        u, v = a[i3], b[j3]
        t = u > v
        out[n + n - s] = max(u, v)
        c_out[n + n - s] = ca[_pick(t, i3, j3)] + int64(not t)
        i3 -= uint64(t)
        j3 -= uint64(not t)


@njit(cache=True)
def _trace(levels, x, h, pos):  # pragma: no cover - compiled
    """Bit set of the subset at position `pos` of a built half's top list, traced back through
    the levels by co-ranks, L first on ties (`_mitm_kernels._trace`)."""
    subset = 0
    p = uint64(pos)
    for e in range(h - 1, -1, -1):
        n = _U1 << uint64(e)
        low = levels[_off(e) + 1 :]  # level e's list L; low[n] is its +inf sentinel
        xe = x[e]
        r = _corank_shifted(low, xe, p, n)
        if p - r >= n or low[r] <= _key(_value(low[p - r]) + xe):
            p = r
        else:
            p = p - r
            subset |= 1 << e
    return subset


@njit(cache=True, inline="always")
def _corank_shifted(a, xe, pos, n):  # pragma: no cover - compiled
    """How many of the first `pos` elements of merge(a[:n], a[:n] + xe) come from a (a first on
    ties), by binary search, the shifted keys recomputed as in `_build` (the same keys)."""
    lo = pos - n if pos > n else _U0
    hi = pos if pos < n else n
    while lo < hi:
        i = (lo + hi) >> _U1
        if _key(_value(a[pos - i - _U1]) + xe) < a[i]:
            hi = i
        else:
            lo = i + _U1
    return lo


@njit(cache=True)
def _ranks(g, na, b, nb, at):  # pragma: no cover - compiled
    """at[i] = how many keys of b's list lie below g[i], for keys g non-increasing in i: two
    walks, over g's upper and lower half, each by two chains towards each other (from the
    top counting up, from the bottom down from a binary search), four branch-free chains in
    all. b is the whole buffer (index k + 1 = list index k); a top chain's i counts as i - 1."""
    mid = uint64(na >> 1)
    k_mid = uint64(np.searchsorted(b[1 : nb + 1], g[mid]))
    i0, k0, i1, k1 = uint64(na), _U0, mid, k_mid
    i2, k2, i3 = mid, k_mid, _U0
    k3 = uint64(np.searchsorted(b[1 : nb + 1], g[0]))
    while i0 > i1 and i2 > i3:
        i0, k0, i1, k1 = _walk(g, b, at, i0, k0, i1, k1)
        i2, k2, i3, k3 = _walk(g, b, at, i2, k2, i3, k3)
    while i0 > i1:
        i0, k0, i1, k1 = _walk(g, b, at, i0, k0, i1, k1)
    while i2 > i3:
        i2, k2, i3, k3 = _walk(g, b, at, i2, k2, i3, k3)
    for i in (i0 - _U1, i1, i2 - _U1, i3):  # where chains met: maybe a partial count
        if i < uint64(na):
            at[i] = np.searchsorted(b[1 : nb + 1], g[i])


@njit(cache=True, inline="always")
def _walk(g, b, at, i0, k0, i1, k1):  # pragma: no cover - compiled
    """One step of each of a walk's two chains (`_ranks`), branch-free."""
    step = b[k0 + _U1] < g[i0 - _U1]
    at[i0 - _U1] = k0
    k0 += uint64(step)
    i0 -= uint64(not step)
    done = b[k1] < g[i1]  # b[k1] is list index k1 - 1
    at[i1] = k1
    i1 += uint64(done)
    k1 -= uint64(not done)
    return i0, k0, i1, k1


@njit(cache=True)
def _best_pair(a, ca, na, b, cb, nb, t, tol, lo_at):  # pragma: no cover - compiled
    """List positions (i, j) of the pair the buckets' sweeps (`_fewest_by_buckets`) pick,
    found among the windows [lo, hi) of b where -tol <= (a_i + b_j) - t <= tol: the fewest
    popcounts, then the least error |(a_i + b_j) - t|, then the lowest popcount of a_i and the
    first i (the buckets' order); for that i the first j with (a_i + b_j) - t >= 0 at the
    least error, else the last below. (-1, -1) if every window is empty; (_TOO_LONG, 0) as
    soon as one is longer than _SCAN. lo_at[i], a lower bound of the low end (`_ranks`), is
    moved up to it (and kept), the high end on from the previous a's, by the float64 tests:
    they almost always fail at once, so the branches are predictable."""
    bi, bj, hi = -1, -1, 0
    best_p, best_d, best_q, best_v = 1 << 30, np.inf, 0, 0.0
    for i in range(na - 1, -1, -1):
        ai = a[i]
        lo = lo_at[i]
        v = (ai + b[lo]) - t
        while v < -tol:
            lo += 1
            v = (ai + b[lo]) - t
        lo_at[i] = lo
        if hi <= lo:
            hi = lo
            if v > tol:
                continue
        while hi < nb and (ai + b[hi]) - t <= tol:
            hi += 1
        if lo < hi:
            if hi - lo > _SCAN:
                return _TOO_LONG, 0
            q = ca[i]
            for j in range(lo, hi):
                p = q + cb[j]
                v = (ai + b[j]) - t
                d = abs(v)
                if p == best_p and d == best_d:
                    take = q < best_q or (q == best_q and (i != bi or best_v < 0))
                else:
                    take = p < best_p or (p == best_p and d < best_d)
                if take:
                    bi, bj, best_p, best_d, best_q, best_v = i, j, p, d, q, v
    return bi, bj


@njit(cache=True)
def _nearest(a, na, b, nb, t, lo_at):  # pragma: no cover - compiled
    """`_closest` over all of a and b when every window is empty: the first sum of b at or
    above t - a_i is then the window's end lo_at[i], so this is the sweep's pair."""
    best, bi, bj = np.inf, 0, 0
    for i in range(na):
        j = min(lo_at[i], nb - 1)
        d = abs((a[i] + b[j]) - t)
        if d < best:
            best, bi, bj = d, i, j
        if j > 0:
            d = abs((a[i] + b[j - 1]) - t)
            if d < best:
                best, bi, bj = d, i, j - 1
    return bi, bj


@njit(cache=True)
def _fewest_by_buckets(
    a, ca, na, h1, b, cb, nb, h2, t, tol, sums, ends, starts
):  # pragma: no cover
    """`_best_pair`'s pair, by popcount buckets (stable counting sorts: each stays ascending):
    for p = 0, 1, ..., per split p = q_A + q_B (q_A ascending) the closest pair of the two
    buckets (`_closest`), the first split first on ties, until p's best is within tol; p is
    small for long windows (a large tol). sums, ends take the buckets' sums and positions."""
    _bucket(a, ca, na, h1, sums[0], ends[0], starts[0])
    _bucket(b, cb, nb, h2, sums[1], ends[1], starts[1])
    for p in range(h1 + h2 + 1):
        err, bi, bj = np.inf, -1, -1
        for qa in range(max(0, p - h2), min(h1, p) + 1):
            lo_a, hi_a = starts[0, qa], starts[0, qa + 1]
            lo_b, hi_b = starts[1, p - qa], starts[1, p - qa + 1]
            if lo_a == hi_a or lo_b == hi_b:
                continue
            i, j, d = _closest(sums[0], lo_a, hi_a, sums[1], lo_b, hi_b, t)
            if d < err:
                err, bi, bj = d, ends[0, i], ends[1, j]
        if err <= tol:
            return bi, bj
    return -1, -1


@njit(cache=True)
def _bucket(s, q, n, h, out_s, out_pos, starts):  # pragma: no cover - compiled
    """Stable counting sort of positions 0..n-1 by popcount q: bucket p is
    out_s[starts[p]:starts[p + 1]], still ascending, out_pos the positions it came from."""
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
        out_pos[at] = i
        fill[q[i]] = at + 1


@njit(cache=True)
def _closest(a, lo_a, hi_a, b, lo_b, hi_b, t):  # pragma: no cover - compiled
    """Positions (i, j) in a[lo_a:hi_a], b[lo_b:hi_b] (both ascending, non-empty) minimising
    |(a_i + b_j) − t|, and that distance. As a_i grows the best b_j can only move down."""
    best, bi, bj, j = np.inf, lo_a, lo_b, hi_b - 1
    for i in range(lo_a, hi_a):
        ai = a[i]
        while j > lo_b and (ai + b[j - 1]) - t >= 0.0:
            j -= 1
        d = abs((ai + b[j]) - t)
        if d < best:
            best, bi, bj = d, i, j
        if j > lo_b:
            d = abs((ai + b[j - 1]) - t)
            if d < best:
                best, bi, bj = d, i, j - 1
    return bi, bj, best
