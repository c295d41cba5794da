"""The accumulation loop of `approx.measurement.stored.stored_layer` on CPU, fused into one
numba pass over the entries of the target layer.

`stored_layer` sums, per entry (k, j) of a target weight, the kept products `b_ku a_u` of the
units u serving input j into five running `Sum2` accumulators (`P`, `N`, `P − W`, `N − W`,
`P − N`). Written with torch, every `TwoSum` of every accumulator is half a dozen passes over a
`(d_out, d_in)` matrix with fresh temporaries: on 784-500-10 that is 840 `TwoSum` calls over
392,000 entries and most of the certify phase. Here each entry runs the same operations in the
same order in registers, so the result is the same to the last bit (IEEE arithmetic in
float64, no fast-math: numba does not contract `a * b + c` into a fused multiply-add or
reassociate without it); `tests/test_certified_stored.py` checks bit equality against the
torch loop, which stays the path for other devices.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_SPLIT = 2.0**27 + 1  # Dekker's splitter for float64 (as `stored._SPLIT`)
KEYS = ("P", "N", "DP", "DN", "PN")


@njit(cache=True, inline="always")
def _add(acc, key, k, j, t):
    """Sum2's `add`: TwoSum into the running sum, its error into the correction."""
    s = acc[key, 0, k, j]
    new = s + t
    bb = new - s
    acc[key, 0, k, j] = new
    acc[key, 1, k, j] += (s - (new - bb)) + (t - bb)
    acc[key, 2, k, j] += abs(t)


@njit(cache=True, inline="always")
def _add_term(acc, k, j, t, pos):
    tp = t if pos else 0.0
    tn = 0.0 if pos else t
    _add(acc, 0, k, j, tp)
    _add(acc, 1, k, j, tn)
    _add(acc, 2, k, j, tp)
    _add(acc, 3, k, j, tn)
    _add(acc, 4, k, j, tp - tn)  # one of them is 0, so exact


@njit(cache=True, parallel=True)
def accumulate(w, a, b, slots, exact_products, acc):
    """Fill `acc` `(5, 3, d_out, d_in)`: per key of `KEYS`, the running sum, its correction
    and the sum of the terms' magnitudes, exactly as `stored_layer`'s torch loop leaves its
    `_Sum2` accumulators. `w` `(d_out, d_in)`, `a` `(h + 1,)`, `b` `(d_out, h + 1)` float64
    (index h: the zero unit); `slots` `(d_in, G)` int64 unit indices."""
    d_out, d_in = w.shape
    G = slots.shape[1]
    for k in prange(d_out):
        for j in range(d_in):
            for key in range(5):
                for part in range(3):
                    acc[key, part, k, j] = 0.0
            acc[2, 0, k, j] = -w[k, j]
            acc[3, 0, k, j] = -w[k, j]
            acc[2, 2, k, j] = abs(w[k, j])
            acc[3, 2, k, j] = abs(w[k, j])
            for g in range(G):
                u = slots[j, g]
                au = a[u]
                bu = b[k, u]
                pos = au > 0
                p = bu * au
                if exact_products:
                    _add_term(acc, k, j, p, pos)
                else:  # Dekker's TwoProduct, as `stored.two_product(bu, au)`
                    ca = _SPLIT * bu
                    cb = _SPLIT * au
                    ah = ca - (ca - bu)
                    bh = cb - (cb - au)
                    al = bu - ah
                    bl = au - bh
                    e = al * bl - (((p - ah * bh) - al * bh) - ah * bl)
                    _add_term(acc, k, j, p, pos)
                    _add_term(acc, k, j, e, pos)


def accumulators(w, a, b, slots, exact_products: bool) -> np.ndarray:
    """`accumulate` into a fresh `(5, 3, d_out, d_in)` float64 array."""
    acc = np.empty((5, 3, *w.shape), dtype=np.float64)
    accumulate(w, a, b, slots, exact_products, acc)
    return acc
