"""The compiled kernels of the exact CPU solver (Horowitz-Sahni meet in the middle, numba).

All njit functions live in this one module: numba's on-disk cache is invalidated by a change
of the file that holds a function, not of the files it calls into.

Horowitz & Sahni, "Computing partitions with applications to the knapsack problem", JACM 21(2),
1974. Per instance with c valid coefficients:

1. Compact the valid coefficients. Write each negative one as its absolute value plus a shift
   (`base` collects the negatives; keeping |c_i| then means dropping c_i), so every coefficient
   is >= 0 and adding one never moves a sum down.
2. Split them into half A (h1 = floor(c/2)) and half B (h2 = c - h1). Build half A's 2^h1
   subset sums in ascending order by successive merging: with the sorted list L of the first e
   coefficients, the list for e + 1 is merge(L, L + x_e), 2^(e+1) element steps, no sort.
   Half B is built the same way from the start value t - sum(B) instead of 0: its list C holds
   t - (sum of a subset of B), ascending, each entry standing for the complement of the subset
   it was built from. Then |a - c| = |sum_A + sum_B - t|, and the best pair is adjacent in the
   merged order of A and C: one more merge-like sweep over both lists finds it.
3. Masks are not carried through the merges, nor are decision bits: every level's list is
   kept, and the chosen element's subset is traced back through the levels, one co-rank
   (binary search) per level. Merges are stable (L before L + x_e on equal sums), so the
   element at position p of merge(L, L + x_e) came from L exactly when L[r] <= (L + x_e)[p - r]
   with r the co-rank of p: ~h^2 / 2 comparisons per half, instead of a bit per merge step.

Element steps: 2 (2^h1 + 2^h2) for the merges plus 2^h1 + 2^h2 for the sweep, ~6 * 2^(c/2).

Why the inner loops look the way they do (each step was measured; see
scripts/bench_subset_sum.py): which list the next element comes from is a coin flip on random
data, so every step is branch-free (min/max, carry-flag increments) and the loop-carried chain is
load -> compare -> increment. The core overlaps independent chains, so each long merge (and the
sweep) is split at its middle by a binary search (the co-rank) and each half runs from both ends
at once: four chains. The merges compare 64-bit integer keys rather than doubles: the key of a
double (its bits, with the magnitude bits flipped when negative) orders exactly as the double
does, and an integer load and compare is a shorter chain than a floating-point one and keeps the
values out of the vector registers. L + x_e is materialised first (a vectorised pass that turns
keys into values, adds, and back) so the chain has no add; indices are unsigned, which drops
numba's negative-index wraparound code. The sweep needs differences, so its lists are turned
back into doubles in place first (a -0.0 start is made +0.0: the one value whose key orders
differently). Each worker thread owns one preallocated workspace reused for all its instances.
Sums are formed in float64 in merge order, so the optimum is exact up to float64 rounding of
those sums (~1e-16 * sum |c_i| per sum).
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import int64, njit, prange, types, uint64
from numba.extending import intrinsic

_U0 = np.uint64(0)
_U1 = np.uint64(1)
# Merges of lists this long run as four chains (`_merge_big`); shorter ones as one.
_BIG = np.uint64(64)
_MAG = np.int64(0x7FFFFFFFFFFFFFFF)
_NEG_INF = np.int64(-0x7FF0000000000001)  # key of -inf
_POS_INF = np.int64(0x7FF0000000000000)  # key of +inf


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
def exact_rows(coeffs, targets, valid, chosen, store, shifted, x, neg, cols):  # pragma: no cover
    """Solve every row; each worker thread uses its own slice of the workspace arrays."""
    for r in prange(coeffs.shape[0]):
        lane = numba.get_thread_id()
        _solve_row(
            coeffs[r], targets[r], valid[r], chosen[r], store[lane], shifted[lane],
            x[lane], neg[lane], cols[lane],
        )  # fmt: skip


@njit(cache=True)
def _solve_row(coeffs, target, valid, chosen, store, shifted, x, neg, cols):  # pragma: no cover
    c = 0
    base = 0.0
    for col in range(coeffs.shape[0]):
        if valid[col]:
            v = coeffs[col]
            cols[c] = col
            neg[c] = v < 0.0
            x[c] = abs(v)
            base += min(v, 0.0)
            c += 1
    if c == 0:
        return
    h1 = c // 2
    h2 = c - h1
    sum_b = 0.0
    for e in range(h1, c):
        sum_b += x[e]
    levels_a = store[: _off(h1 + 1)]
    levels_b = store[_off(h1 + 1) :]
    _build(x[:h1], 0.0, levels_a, shifted)
    _build(x[h1:c], target - base - sum_b, levels_b, shifted)
    a = _as_values(levels_a[_off(h1) : _off(h1) + (1 << h1) + 2])
    b = _as_values(levels_b[_off(h2) : _off(h2) + (1 << h2) + 2])
    i, j = _sweep(a, uint64(1 << h1), b, uint64(1 << h2))
    subset_a = _trace(levels_a, x[:h1], h1, i)
    complement_b = _trace(levels_b, x[h1:c], h2, j)
    for e in range(h1):
        chosen[cols[e]] = ((subset_a >> e) & 1 == 1) != neg[e]
    for e in range(h2):
        chosen[cols[h1 + e]] = ((complement_b >> e) & 1 == 0) != neg[h1 + e]


@njit(cache=True)
def _build(x, start, levels, shifted):  # pragma: no cover - compiled
    """Keys of the sorted sums start + (subset sums of x), x >= 0, level by level.

    Level e (the sums of the first e coefficients) is kept at levels[_off(e):], as -inf, its
    2^e sums, +inf (sentinels for the merges and the sweep); `shifted` holds L + x_e.
    """
    levels[0] = _NEG_INF
    levels[1] = _key(start + 0.0)
    levels[2] = _POS_INF
    shifted[0] = _NEG_INF
    n = _U1
    for e in range(x.shape[0]):
        src = levels[_off(e) :]
        dst = levels[_off(e + 1) :]
        xe = x[e]
        for s in range(_U1, n + _U1):
            shifted[s] = _key(_value(src[s]) + xe)
        shifted[n + _U1] = _POS_INF
        dst[0] = _NEG_INF
        if n < _BIG:
            _merge_small(src[1:], shifted[1:], n, dst[1:])
        else:
            _merge_big(src, shifted, n, dst)
        n += n
        dst[n + _U1] = _POS_INF


@njit(cache=True, inline="always")
def _as_values(keys):  # pragma: no cover - compiled
    """The doubles a list of keys stands for, in place (the same memory, viewed as float64)."""
    for s in range(keys.shape[0]):
        keys[s] = _flip(keys[s])
    return keys.view(np.float64)


@njit(cache=True, inline="always")
def _merge_small(a, b, n, out):  # pragma: no cover - compiled
    """out[:2n] = stable merge(a[:n], b[:n]), a first on ties; a runs out first (b[j] >= a[j]),
    into its +inf sentinel a[n]."""
    i = _U0
    j = _U0
    for o in range(n + n):
        u = a[i]
        v = b[j]
        take_a = u <= v
        out[o] = min(u, v)
        i += uint64(take_a)
        j += uint64(not take_a)


@njit(cache=True, inline="always")
def _corank(a, b, pos, na, nb):  # pragma: no cover - compiled
    """How many of the first `pos` elements of merge(a[:na], b[:nb]) come from a (a first on
    ties): the smallest i with b[pos - i - 1] < a[i]. Binary search, O(log(na + nb))."""
    lo = pos - nb if pos > nb else _U0
    hi = pos if pos < na else na
    while lo < hi:
        i = (lo + hi) >> _U1
        if b[pos - i - _U1] < a[i]:
            hi = i
        else:
            lo = i + _U1
    return lo


@njit(cache=True, inline="always")
def _merge_big(a, b, n, out):  # pragma: no cover - compiled
    """out[:2n] = stable merge(a[:n], b[:n]) for n a multiple of 64, as four dependency chains.

    The co-rank of output n splits the merge into two independent halves, and each half runs
    from both ends: a front chain takes the smaller head (a on ties), a back chain the larger
    tail (b on ties), the same order, so after n/2 steps each the four have written the four
    quarters. `a`, `b` and `out` are whole buffers (-inf, list, +inf), indexed list index + 1:
    a middle chain can start with one list empty on its side, and then reads a sentinel.
    """
    i_mid = _corank(a[1:], b[1:], n, n, n)
    i0 = _U1
    j0 = _U1
    i1 = i_mid
    j1 = n - i_mid
    i2 = i_mid + _U1
    j2 = n - i_mid + _U1
    i3 = n
    j3 = n
    n1 = n + _U1
    for s in range(_U0, n >> _U1):
        u = a[i0]
        v = b[j0]
        t = u <= v
        out[s + _U1] = min(u, v)
        i0 += uint64(t)
        j0 += uint64(not t)
        u = a[i1]
        v = b[j1]
        t = u > v
        out[n - s] = max(u, v)
        i1 -= uint64(t)
        j1 -= uint64(not t)
        u = a[i2]
        v = b[j2]
        t = u <= v
        out[n1 + s] = min(u, v)
        i2 += uint64(t)
        j2 += uint64(not t)
        u = a[i3]
        v = b[j3]
        t = u > v
        out[n + n - s] = max(u, v)
        i3 -= uint64(t)
        j3 -= uint64(not t)


@njit(cache=True)
def _sweep(a, na, c, nc):  # pragma: no cover - compiled
    """List positions (i, j) minimising |a[i] - c[j]| over ascending lists a and c.

    `a` and `c` are buffers holding -inf, the list, +inf. The closest pair is adjacent in the
    merged order of the two lists, and a merge step looks at the current heads (front) or
    tails (back), so it sees every adjacent pair from different lists when it consumes the
    earlier (front) or the later (back) of the two. As in `_merge_big`, the merge is split at
    its middle and run as four chains; the two pairs straddling the split are checked
    separately. Each chain keeps its smallest distance and the step (a float, so the loop
    needs no more integer registers than x86-64 has) where it saw it; the winner's list
    positions are recovered afterwards from the co-rank of that step.
    """
    al = a[1:]
    cl = c[1:]
    total = na + nc
    mid = total >> _U1
    i_mid = _corank(al, cl, mid, na, nc)
    j_mid = mid - i_mid
    # Buffer index = list index + 1.
    i0 = _U1
    j0 = _U1
    i1 = i_mid
    j1 = j_mid
    i2 = i_mid + _U1
    j2 = j_mid + _U1
    i3 = na
    j3 = nc
    d0 = np.inf
    d1 = np.inf
    d2 = np.inf
    d3 = np.inf
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    step = 0.0
    for _ in range((total - mid + _U1) >> _U1):
        u = a[i0]
        v = c[j0]
        d = abs(u - v)
        s0 = step if d < d0 else s0
        d0 = min(d, d0)
        t = u <= v
        i0 += uint64(t)
        j0 += uint64(not t)
        u = a[i1]
        v = c[j1]
        d = abs(u - v)
        s1 = step if d < d1 else s1
        d1 = min(d, d1)
        t = u > v
        i1 -= uint64(t)
        j1 -= uint64(not t)
        u = a[i2]
        v = c[j2]
        d = abs(u - v)
        s2 = step if d < d2 else s2
        d2 = min(d, d2)
        t = u <= v
        i2 += uint64(t)
        j2 += uint64(not t)
        u = a[i3]
        v = c[j3]
        d = abs(u - v)
        s3 = step if d < d3 else s3
        d3 = min(d, d3)
        t = u > v
        i3 -= uint64(t)
        j3 -= uint64(not t)
        step += 1.0
    best = abs(a[i_mid] - c[j_mid + _U1])
    i = int64(i_mid) - 1
    j = int64(j_mid)
    d = abs(a[i_mid + _U1] - c[j_mid])
    if d < best:
        best = d
        i = int64(i_mid)
        j = int64(j_mid) - 1
    # A front chain's heads after s steps split merge position start + s; a back chain's
    # tails are the last elements of the first end - s.
    if d0 < best:
        best = d0
        i, j = _heads(al, cl, uint64(s0), na, nc)
    if d2 < best:
        best = d2
        i, j = _heads(al, cl, mid + uint64(s2), na, nc)
    if d1 < best:
        best = d1
        i, j = _heads(al, cl, mid - uint64(s1), na, nc)
        i -= 1
        j -= 1
    if d3 < best:
        i, j = _heads(al, cl, total - uint64(s3), na, nc)
        i -= 1
        j -= 1
    return i, j


@njit(cache=True, inline="always")
def _heads(a, c, pos, na, nc):  # pragma: no cover - compiled
    """List positions of the heads of a and c after the first `pos` merged elements."""
    i = _corank(a, c, pos, na, nc)
    return int64(i), int64(pos - i)


@njit(cache=True)
def _trace(levels, x, h, pos):  # pragma: no cover - compiled
    """Bit set of the coefficients in the subset at position `pos` of a built half's top list.

    Walks the levels backwards: the element at position p of level e + 1 = merge(L, L + x[e])
    came from L (x[e] not in the subset; its position in L is the co-rank r of p) unless the
    stable merge's next element after r from L and p - r from L + x[e] is the latter.
    """
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
    """`_corank` of merge(a[:n], a[:n] + xe), the shifted list's keys recomputed as in `_build`
    (the same float64 addition, so the same keys)."""
    lo = pos - n if pos > n else _U0
    hi = pos if pos < n else n
    while lo < hi:
        i = (lo + hi) >> _U1
        if _key(_value(a[pos - i - _U1]) + xe) < a[i]:
            hi = i
        else:
            lo = i + _U1
    return lo
