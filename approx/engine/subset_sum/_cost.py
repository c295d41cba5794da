"""What a `solve` call will cost, before it is made: bytes of workspace and seconds.

The byte counts are the solvers' own (the workspace each numba lane or row chunk allocates,
capped by the memory budget that chunking enforces). The seconds are a model, not a promise,
good to a factor of two on a quiet machine and a few on a loaded one. `exact` and `fewest`
walk `3(2^h1 + 2^h2)` element steps for c valid coefficients (h1 + h2 = c, h2 = ceil(c/2));
measured with one thread on 2 quiet x86 cores (numba 0.60, torch 2.13,
`scripts/bench_subset_sum.py`, `scripts/bench_pipeline.py`): `exact` 1.1–1.6 ns per step
(15 µs per instance at 21 valid), `fewest` 1.4–1.5 times that (~2 ns per step on the
784-500-10 run's instances, one thread, CPU time on a shared machine; it was ~6 ns before its
kernels took the exact engine's sorted lists), costed here at 2.5 and 3.5 ns with the per-row
overhead, which leaves room for a neighbour on the cores. (The previous model, ~7 ns per
half-sum and coefficient, estimated the 784-500-10 run's prune at 44 s against 8.9 s
measured.) `brute` ~3 ns per subset and coefficient, `greedy` ~10 ns per
coefficient pair. `milp` (HiGHS) per row, by its valid coefficients c: interpolated (log-linear)
in `_MILP_ROW_S`, measured as the mean CPU time of one HiGHS solve on 5–20 U[-1, 1] instances
per c (one thread, load average ~5 on 2 cores): ~10 ms at c = 4, 37 ms at 12, 0.27 s at 16,
1.9 s at 20, then 8–13 s from 24 to 38 (HiGHS stops at its 1e-6 absolute gap, which gets
easy to reach only where many subsets come that close). It was 10 ms for every row, whatever
its size (docs/performance.md, "Estimating a run before it starts"). `fixed` (exactly s
coefficients, `_fixed`) walks `fixed_steps(c, s)` element steps, each carrying a bit mask, and
its time follows how often its merges switch between the two lists they merge
(`fixed_switches`: a random merge of a and b elements switches ~2ab/(a + b) times, each a
mispredicted branch and a jump to the other list): large s (lists of similar lengths) switch
at ~0.45 per step, small s at large c at ~0.16. Costed at 1 ns per step and 20 ns per switch
on each solver thread, fitted to Natale's prune on the default widths at densities 0.05, 0.1,
0.3 and on 32-16-4 at 0.2 (2 cores, load ~1): estimated / measured 0.76–1.13 (docs/
performance.md); one thread on a loaded machine ran at ~36 ns per switch. It was 6.5 ns per step
(0.51–1.54 of those runs; before that, costed like `exact` at c/2 valid, 17 times below).
"""

from __future__ import annotations

import functools
import itertools
import math

from ...basics.defaults import SOLVER_MEMORY_BUDGET
from ._fixed import workspace_bytes as fixed_workspace_bytes
from ._numba_fewest import workspace_bytes as fewest_workspace_bytes
from ._numba_mitm import workspace_bytes

_ROW_OVERHEAD_S = 1e-6
_EXACT_STEP_S = 2.5e-9
_FEWEST_STEP_S = 3.5e-9
_FIXED_STEP_S = 1e-9
_FIXED_SWITCH_S = 20e-9
_BRUTE_S = 3e-9
_GREEDY_S = 1e-8
_MILP_ROW_S = ((0, 2e-3), (4, 1e-2), (8, 2.3e-2), (12, 3.7e-2), (16, 0.27), (20, 1.9), (24, 10.0))


def solve_cost(
    method: str,
    rows: int,
    k: int,
    valid: float,
    valid_max: float | None = None,
    *,
    threads: int = 1,
    memory_budget: int = SOLVER_MEMORY_BUDGET,
    size: int | None = None,
) -> tuple[int, float]:
    """(workspace bytes, seconds) of `solve(method=method)` on `rows` instances of `k`
    coefficients of which about `valid` are valid in a typical row (which sets the time) and
    at most `valid_max` (default `valid`; it sets the workspace), on `threads` threads;
    `size`: method ``fixed``'s subset size (without it ``fixed`` is costed like ``exact``)."""
    c = min(k, max(0, round(valid)))
    c_max = min(k, max(c, round(valid if valid_max is None else valid_max)))
    if method == "fixed" and size is not None:
        workspace = min(memory_budget, max(1, threads) * fixed_workspace_bytes(c_max, size))
        per_row = _FIXED_STEP_S * fixed_steps(c, size) + _FIXED_SWITCH_S * fixed_switches(c, size)
    elif method in ("exact", "fewest", "fixed"):
        per_lane = workspace_bytes(c_max) if method == "exact" else fewest_workspace_bytes(c_max)
        workspace = min(memory_budget, max(1, threads) * per_lane)
        steps = 3 * (2 ** (c // 2) + 2 ** (c - c // 2))  # the merges and the final sweep
        per_row = (_EXACT_STEP_S if method != "fewest" else _FEWEST_STEP_S) * steps
    elif method == "brute":
        workspace = min(memory_budget, rows * 2**k * 9)
        per_row = _BRUTE_S * 2**k * k
    elif method == "greedy":
        workspace = min(memory_budget, rows * (40 * k + 64))
        per_row = _GREEDY_S * k * k
    else:  # milp: one small HiGHS problem per row
        workspace = 0
        per_row = milp_row_seconds(c)
    seconds = rows * (_ROW_OVERHEAD_S + per_row) / max(1, threads if method != "milp" else 1)
    return workspace, seconds


def fixed_steps(c: int, s: int) -> int:
    """Element steps of ``fixed`` on c valid coefficients and subset size s: each half's lists
    of the sums of its q-subsets, q <= s, built by merges (adding its e-th coefficient writes
    sum_{q <= s} C(e, q) sums, which add up over e to sum_q C(h + 1, q + 1)), then one sweep
    over two lists per split q_A + q_B = min(s, c)."""
    s = min(s, c)
    h1 = c // 2
    h2 = c - h1

    def build(h: int) -> int:
        return sum(math.comb(h + 1, q + 1) for q in range(1, min(s, h) + 1))

    sweeps = sum(
        math.comb(h1, a) + math.comb(h2, s - a) for a in range(max(0, s - h2), min(s, h1) + 1)
    )
    return build(h1) + build(h2) + sweeps


@functools.lru_cache(maxsize=4096)
def fixed_switches(c: int, s: int) -> float:
    """Expected switches of ``fixed``'s merges between their two lists on c valid coefficients
    and subset size s, counted like `fixed_steps`: adding a half's e-th coefficient merges list
    q (C(e - 1, q) sums) with list q - 1 shifted (C(e - 1, q - 1)), a random interleaving of
    a and b sorted sums switching ~2ab/(a + b) times; the sweeps of every split likewise."""
    s = min(s, c)
    h1 = c // 2
    h2 = c - h1

    def interleave(a: float, b: float) -> float:
        return 2 * a * b / (a + b) if a + b else 0.0

    def build(h: int) -> float:
        total = 0.0
        for e in range(h):  # lists of e coefficients: C(e, q), from C(e, 0) = 1 up
            below = 1.0
            for q in range(1, min(s, e + 1) + 1):
                here = below * (e - q + 1) / q
                total += interleave(here, below)
                below = here
        return total

    sweeps = sum(
        interleave(math.comb(h1, a), math.comb(h2, s - a))
        for a in range(max(0, s - h2), min(s, h1) + 1)
    )
    return build(h1) + build(h2) + sweeps


def milp_row_seconds(c: int) -> float:
    """Seconds of one HiGHS solve with `c` valid coefficients: `_MILP_ROW_S` interpolated
    log-linearly in c, its last entry beyond it."""
    for (c0, s0), (c1, s1) in itertools.pairwise(_MILP_ROW_S):
        if c <= c1:
            return s0 * (s1 / s0) ** ((max(c, c0) - c0) / (c1 - c0))
    return _MILP_ROW_S[-1][1]
