"""The previous kernels of the exact CPU solver, kept unchanged as the oracle of the current
ones (`approx.engine.subset_sum._mitm_kernels`): decision bits per merge step, float64 merges.
`reference_exact(coeffs, targets, valid)` runs them; the tests require the same chosen subset
for every row.

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
3. Masks are not carried through the merges. Each merge records one decision bit per output
   element (taken from L, or from L + x_e); the chosen element's subset is traced back through
   the levels with popcounts (a rank query per level, ~2^h / 64 word reads in all).

Element steps per instance: 2 (2^h1 + 2^h2) for the merges plus 2^h1 + 2^h2 for the sweep,
i.e. ~6 * 2^(c/2).

Why the inner loops look the way they do (each step was measured; see
scripts/bench_subset_sum.py): which list the next element comes from is a coin flip on random
data, so every step is branch-free (min/max, carry-flag increments) and the loop-carried chain is
load -> compare -> increment, ~10 cycles. The core overlaps independent chains, so each long
merge (and the sweep) is split at its middle by a binary search (the co-rank) and each half runs
from both ends at once: four chains. L + x_e is materialised first (a vectorised pass) so the
chain has no add; indices are unsigned, which drops numba's negative-index wraparound code; masks
are decision bits rather than a second array moved in step with the sums (LLVM turned that
select into a mispredicted branch). Each worker thread owns one preallocated workspace reused for
all its instances: nothing is allocated per instance. Sums are formed in float64 in merge order,
so the optimum is exact up to float64 rounding of those sums (~1e-16 * sum |c_i| per sum).
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from numba import int64, njit, prange, uint64

_U0 = np.uint64(0)
_U1 = np.uint64(1)
# Merges of lists this long run as four chains (`_merge_big`); shorter ones fit one word.
_BIG = np.uint64(64)
_LOW6 = np.uint64(63)
_LOG64 = np.uint64(6)


@njit(cache=True, parallel=True)
def exact_rows(coeffs, targets, valid, chosen, lists, decisions, x, neg, cols):  # pragma: no cover
    """Solve every row; each worker thread uses its own slice of the workspace arrays."""
    for r in prange(coeffs.shape[0]):
        lane = numba.get_thread_id()
        _solve_row(
            coeffs[r], targets[r], valid[r], chosen[r], lists[lane], decisions[lane],
            x[lane], neg[lane], cols[lane],
        )  # fmt: skip


@njit(cache=True)
def _solve_row(coeffs, target, valid, chosen, lists, decisions, x, neg, cols):  # pragma: no cover
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
    a = _build(x[:h1], 0.0, lists, 0, 1, decisions[0])
    b = _build(x[h1:c], target - base - sum_b, lists, 2, 1 - a, decisions[1])
    i, j = _sweep(lists[a], uint64(1 << h1), lists[b], uint64(1 << h2))
    subset_a = _trace(decisions[0], h1, i)
    complement_b = _trace(decisions[1], h2, j)
    for e in range(h1):
        chosen[cols[e]] = ((subset_a >> e) & 1 == 1) != neg[e]
    for e in range(h2):
        chosen[cols[h1 + e]] = ((complement_b >> e) & 1 == 0) != neg[h1 + e]


@njit(cache=True)
def _build(x, start, lists, p, q, words):  # pragma: no cover - compiled
    """Sorted sums start + (subset sums of x), x >= 0, ping-ponging between lists p and q.

    Every list buffer holds -inf, the 2^e sums, +inf: sentinels for the sweep and the merges.
    Decision bits of level e (the merge adding x[e]) go to `words` in order of e. Returns the
    index of the list that holds the result.
    """
    lists[p, 0] = -np.inf
    lists[p, 1] = start
    lists[p, 2] = np.inf
    lists[q, 0] = -np.inf
    lists[3, 0] = -np.inf
    shifted = lists[3]
    n = uint64(1)
    at = 0
    for e in range(x.shape[0]):
        src = lists[p]
        dst = lists[q]
        xe = x[e]
        for s in range(_U1, n + _U1):
            shifted[s] = src[s] + xe
        shifted[n + _U1] = np.inf
        if n < _BIG:
            words[at] = _merge_small(src[1:], shifted[1:], n, dst[1:])
            at += 1
        else:
            _merge_big(src, shifted, n, dst, words, at)
            at += int64(n >> uint64(5))
        n += n
        dst[n + _U1] = np.inf
        p, q = q, p
    return p


@njit(cache=True, inline="always")
def _merge_small(a, b, n, out):  # pragma: no cover - compiled
    """out[:2n] = merge(a[:n], b[:n]) for 2n <= 64; bit o of the result = out[o] came from a.

    Front to back only; a runs out first (b[j] >= a[j]), into its +inf sentinel a[n].
    """
    i = _U0
    j = _U0
    w = _U0
    for o in range(n + n):
        u = a[i]
        v = b[j]
        take_a = u <= v
        out[o] = min(u, v)
        w |= uint64(take_a) << uint64(o)
        i += uint64(take_a)
        j += uint64(not take_a)
    return w


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
def _merge_big(a, b, n, out, words, at):  # pragma: no cover - compiled
    """out[:2n] = merge(a[:n], b[:n]) for n a multiple of 64, as four dependency chains.

    The co-rank of output n splits the merge into two independent halves, and each half runs
    from both ends: a front chain takes the smaller head (a on ties), a back chain the larger
    tail (b on ties), the same order, so after n/2 steps each the four have written the four
    quarters. `a`, `b` and `out` are whole buffers (-inf, list, +inf), indexed list index + 1:
    a middle chain can start with one list empty on its side, and then reads a sentinel.
    Decision bits are ORed into words[at:] in blocks of 32 (half a word).
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
    o0 = _U0
    o1 = n - _U1
    o2 = n
    o3 = n + n - _U1
    for w in range(int64(n >> uint64(5))):
        words[at + w] = _U0
    for _ in range(int64(n >> uint64(6))):
        w0 = _U0
        w1 = _U0
        w2 = _U0
        w3 = _U0
        for _ in range(32):
            u = a[i0]
            v = b[j0]
            t = u <= v
            out[o0 + _U1] = min(u, v)
            w0 |= uint64(t) << (o0 & _LOW6)
            i0 += uint64(t)
            j0 += uint64(not t)
            u = a[i1]
            v = b[j1]
            t = u > v
            out[o1 + _U1] = max(u, v)
            w1 |= uint64(t) << (o1 & _LOW6)
            i1 -= uint64(t)
            j1 -= uint64(not t)
            u = a[i2]
            v = b[j2]
            t = u <= v
            out[o2 + _U1] = min(u, v)
            w2 |= uint64(t) << (o2 & _LOW6)
            i2 += uint64(t)
            j2 += uint64(not t)
            u = a[i3]
            v = b[j3]
            t = u > v
            out[o3 + _U1] = max(u, v)
            w3 |= uint64(t) << (o3 & _LOW6)
            i3 -= uint64(t)
            j3 -= uint64(not t)
            o0 += _U1
            o1 -= _U1
            o2 += _U1
            o3 -= _U1
        words[at + int64((o0 - _U1) >> _LOG64)] |= w0
        words[at + int64((o1 + _U1) >> _LOG64)] |= w1
        words[at + int64((o2 - _U1) >> _LOG64)] |= w2
        words[at + int64((o3 + _U1) >> _LOG64)] |= w3


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


@njit(cache=True, inline="always")
def _popcount(w):  # pragma: no cover - compiled
    w = w - ((w >> uint64(1)) & uint64(0x5555555555555555))
    w = (w & uint64(0x3333333333333333)) + ((w >> uint64(2)) & uint64(0x3333333333333333))
    w = (w + (w >> uint64(4))) & uint64(0x0F0F0F0F0F0F0F0F)
    return int64((w * uint64(0x0101010101010101)) >> uint64(56))


@njit(cache=True)
def _trace(words, h, pos):  # pragma: no cover - compiled
    """Bit set of the coefficients in the subset at position `pos` of a built half's list.

    Walks the levels backwards: at level e, the element came from L (x[e] not in the subset,
    previous position = the number of earlier outputs taken from L) or from L + x[e].
    """
    at = 0
    n = 1
    for _ in range(h):
        at += 1 if n < 64 else n // 32
        n *= 2
    subset = 0
    for e in range(h - 1, -1, -1):
        n //= 2
        at -= 1 if n < 64 else n // 32
        word = pos >> 6
        bit = uint64(pos & 63)
        before = 0
        for w in range(word):
            before += _popcount(words[at + w])
        head = words[at + word]
        before += _popcount(head & ((_U1 << bit) - _U1))
        if (head >> bit) & _U1:
            pos = before
        else:
            pos -= before
            subset |= 1 << e
    return subset


def reference_exact(coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor):
    """(m, k) bool chosen by the previous kernels (CPU, all numba threads)."""
    m, k = coeffs.shape
    chosen = np.zeros((m, k), dtype=np.bool_)
    if m == 0 or k == 0:
        return torch.from_numpy(chosen)
    h = (int(valid.sum(1).max()) + 1) // 2
    lanes = numba.get_num_threads()
    floats = 2**h + 2 + 16
    words = 2 ** (h + 1) // 64 + h + 1 + 8
    exact_rows(
        coeffs.to(torch.float64).contiguous().numpy(),
        targets.to(torch.float64).contiguous().numpy(),
        valid.contiguous().numpy(),
        chosen,
        np.empty((lanes, 4, floats), dtype=np.float64),
        np.empty((lanes, 2, words), dtype=np.uint64),
        np.empty((lanes, k + 8), dtype=np.float64),
        np.empty((lanes, k + 8), dtype=np.bool_),
        np.empty((lanes, k + 8), dtype=np.int64),
    )
    return torch.from_numpy(chosen)
