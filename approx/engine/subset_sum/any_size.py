"""Rows of any size for ``exact`` and ``fewest``: which rows one meet in the middle solves,
which are solved exactly by enumerating their excess choices, and which by a prefix.

One meet in the middle holds up to `cap` valid coefficients within the memory budget (48 at
the default). A row with `cap < c` valid coefficients is

- ``enumeration`` (still the method's exact answer) when its excess `e = c − cap` is at most
  `max_excess` and `c` fits the 62-bit masks: 2^e meet-in-the-middle solves of `cap`
  coefficients, so the time bound is the caller's `max_excess`;
- ``prefix`` otherwise: the method's answer over the row's first `p` valid coefficients (in
  column order; the units are i.i.d., so any fixed choice is as good as another), `p` widened
  along `schedule` (e.g. 24, 32, 40, 48) until the row's error is within `tolerance` — or up to
  `cap` when none is given or none of the prefixes reaches it. Not the optimum over all c
  coefficients, but a subset of them whose error is reported like any other.

Every row gets its label (`ROW_METHODS`) and the number of valid coefficients searched.
(This module imports the package: `approx.engine.subset_sum` itself never imports it.)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ...basics import defaults
from ...basics.errors import InvalidArgument, check_positive_int
from ...basics.masks import kept_sum
from . import (
    SubsetSumResult,
    _check,
    exact_in_memory,
    fewest_in_memory,
    result,
    solve_cost,
)
from ._budget import valid_counts
from ._enumeration import exact_by_enumeration, fewest_by_enumeration
from ._numba_fewest import fewest_numba
from ._numba_mitm import MAX_VALID, exact_numba
from ._torch_mitm import exact_torch

__all__ = [
    "ANY_SIZE_METHODS",
    "ROW_METHODS",
    "AnySizeResult",
    "any_size_cost",
    "solve_any_size",
]

ANY_SIZE_METHODS: tuple[str, ...] = ("exact", "fewest")
ROW_METHODS: tuple[str, ...] = ("meet in the middle", "enumeration", "prefix")
MITM, ENUMERATION, PREFIX = 0, 1, 2

# (coeffs, targets, valid, counts) -> chosen; counts: valid's row counts (m,), or None to count
RowsSolver = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def route(counts: torch.Tensor, cap: int, max_excess: int) -> torch.Tensor:
    """(m,) int8 codes into `ROW_METHODS` for rows with `counts` (m,) valid coefficients."""
    how = torch.full(counts.shape, MITM, dtype=torch.int8, device=counts.device)
    how[counts > cap] = ENUMERATION
    how[(counts > cap + max_excess) | (counts > MAX_VALID)] = PREFIX
    return how


def prefix_schedule(cap: int, start: int, step: int, tolerance: float | None) -> list[int]:
    """The prefix lengths tried in turn: `start, start + step, …` below `cap`, then `cap`;
    only `cap` when there is no tolerance to stop at."""
    if tolerance is None:
        return [cap]
    return [*range(min(start, cap), cap, step), cap]


def solve_routed(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    how: torch.Tensor,
    solve_rows: RowsSolver,
    solve_large_row: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    schedule: list[int],
    tolerance: float | None,
    counts: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`chosen` (m, k) bool and `searched` (m,) int64 for rows routed by `how`: one batch of
    meet-in-the-middle rows, each enumeration row on its own, the prefix rows widened in
    batches. `counts`: the rows' valid counts, if already counted; the meet-in-the-middle
    rows' kernel gets them and does not count the mask again."""
    chosen = torch.zeros_like(valid)
    searched = valid_counts(valid) if counts is None else counts.clone()  # (m,)
    mitm = how == MITM
    if bool(mitm.all()):
        return solve_rows(coeffs, targets, valid, searched), searched
    if bool(mitm.any()):
        chosen[mitm] = solve_rows(coeffs[mitm], targets[mitm], valid[mitm], searched[mitm])
    for r in (how == ENUMERATION).nonzero().flatten().tolist():
        chosen[r] = solve_large_row(coeffs[r], targets[r], valid[r])
    rows = (how == PREFIX).nonzero().flatten()
    if rows.numel():
        sub, p = by_prefix(
            coeffs[rows], targets[rows], valid[rows], solve_rows, schedule, tolerance
        )
        chosen[rows] = sub
        searched[rows] = p
    return chosen, searched


def by_prefix(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor,
    solve_rows: RowsSolver,
    schedule: list[int],
    tolerance: float | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each row solved over its first p valid coefficients, p along `schedule`; a row stops
    at the first p whose error (in float64) is within `tolerance`. Returns `chosen` (m, k)
    and the p each row stopped at (m,)."""
    m = coeffs.shape[0]
    chosen = torch.zeros_like(valid)
    searched = torch.zeros(m, dtype=torch.int64, device=coeffs.device)
    rank = valid.cumsum(1)  # (m, k): how many valid coefficients up to each column
    open_rows = torch.arange(m, device=coeffs.device)
    for p in schedule:
        v = valid[open_rows] & (rank[open_rows] <= p)  # (open, k): the first p valid
        sub = solve_rows(coeffs[open_rows], targets[open_rows], v, None)
        chosen[open_rows] = sub
        searched[open_rows] = p
        if tolerance is None:
            break
        x = coeffs[open_rows].to(torch.float64)
        err = (kept_sum(x, sub) - targets[open_rows].to(torch.float64)).abs()  # (open,)
        open_rows = open_rows[err > tolerance]
        if not open_rows.numel():
            break
    return chosen, searched


@dataclass(frozen=True)
class AnySizeResult:
    """`result` as `solve` returns it; `how` (m,) int8, each row's method as an index into
    `ROW_METHODS`; `searched` (m,) int64, the valid coefficients each row was solved over (its
    valid count, except for ``prefix`` rows); `counts` (m,) int64, each row's valid count
    (`valid_counts`, counted once per call)."""

    result: SubsetSumResult
    how: torch.Tensor
    searched: torch.Tensor
    counts: torch.Tensor


def solve_any_size(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor | None = None,
    *,
    method: str = "exact",
    tolerance: float | None = None,
    memory_budget: int = defaults.SOLVER_MEMORY_BUDGET,
    max_excess: int = defaults.EXACT_MAX_EXCESS,
    prefix_start: int = defaults.PREFIX_START,
    prefix_step: int = defaults.PREFIX_STEP,
) -> AnySizeResult:
    """`solve` for ``exact`` or ``fewest`` with rows of any number of valid coefficients,
    each row labelled with how it was solved (module docstring). Rows within one meet in the
    middle, and rows enumerated, get exactly what `solve` gives them.

    `tolerance`: for ``fewest`` required (its sparsity threshold, which also stops a prefix
    row's widening); for ``exact`` optional, the error at which a prefix row stops widening
    (None: every prefix row is solved over `cap` coefficients at once). `max_excess`: the
    most excess coefficients a row may have to be enumerated (2^max_excess solves a row).
    """
    if method not in ANY_SIZE_METHODS:
        raise InvalidArgument(f"method={method!r}: solve_any_size takes 'exact' or 'fewest'")
    valid = _check(coeffs, targets, valid, method, memory_budget)
    if tolerance is not None or method == "fewest":
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
            raise InvalidArgument(f"tolerance={tolerance!r} must be a number > 0")
        if not (math.isfinite(tolerance) and tolerance > 0):
            raise InvalidArgument(f"tolerance={tolerance!r} must be finite and > 0")
    if isinstance(max_excess, bool) or not isinstance(max_excess, int) or max_excess < 0:
        raise InvalidArgument(f"max_excess={max_excess!r} must be an integer >= 0")
    check_positive_int("prefix_start", prefix_start)
    check_positive_int("prefix_step", prefix_step)
    coeffs, targets = coeffs.detach(), targets.detach()
    budget = memory_budget
    if method == "exact":
        cap = exact_in_memory(budget)
        kernel = exact_numba if coeffs.device.type == "cpu" else exact_torch

        def rows(c, t, v, n):
            return kernel(c, t, v, budget, n)

        def large_row(c, t, v):
            return exact_by_enumeration(c, t, v, cap, kernel, budget)
    else:
        cap = fewest_in_memory(budget)

        def rows(c, t, v, n):
            return fewest_numba(c, t, v, float(tolerance), budget, n)

        def large_row(c, t, v):
            return fewest_by_enumeration(c, t, v, cap, float(tolerance), budget)

    if cap == 0:
        raise InvalidArgument(f"memory_budget is below one {method} instance's workspace; raise it")
    counts = valid_counts(valid)
    how = route(counts, cap, max_excess)
    schedule = prefix_schedule(cap, prefix_start, prefix_step, tolerance)
    chosen, searched = solve_routed(
        coeffs, targets, valid, how, rows, large_row, schedule, tolerance, counts
    )
    return AnySizeResult(result(coeffs, targets, chosen), how, searched, counts)


# the typical error of the best subset sum over p i.i.d. products of two U[-1, 1]: ~16·2^-p
# (the prefix of 24 reaches ~1e-6, defaults.PREFIX_START); only used to guess where a prefix
# row's widening stops
_PREFIX_ERROR_SCALE = 16.0


def any_size_cost(
    method: str,
    rows: int,
    valid: float,
    valid_max: float | None = None,
    *,
    tolerance: float | None = None,
    threads: int = 1,
    memory_budget: int = defaults.SOLVER_MEMORY_BUDGET,
    max_excess: int = defaults.EXACT_MAX_EXCESS,
) -> tuple[int, float]:
    """`solve_cost` of `solve_any_size` on `rows` rows of about `valid` valid coefficients:
    one meet in the middle up to the cap, ~`2^(excess/2)` of them for an enumerated row (a
    measured rate), and for a
    prefix row every length of the schedule up to the first whose typical error
    (~16·2^-p) is within `tolerance` (all of them when none is given or none reaches it)."""
    cap = _single_instance_cap(method, memory_budget)
    c = max(0, round(valid))
    if c <= cap:
        return solve_cost(
            method, rows, c, valid, valid_max, threads=threads, memory_budget=memory_budget
        )
    workspace, one = solve_cost(
        method, rows, cap, cap, threads=threads, memory_budget=memory_budget
    )
    if c - cap <= max_excess and c <= MAX_VALID:
        # measured (one thread, loaded 2-core x86): c = 50 and 52 take ~1x and ~4x the time
        # of one meet in the middle over 48, not 2^e times: ~2^(e/2)
        return workspace, one * 2 ** ((c - cap) / 2)
    seconds = 0.0
    for p in prefix_schedule(cap, defaults.PREFIX_START, defaults.PREFIX_STEP, tolerance):
        seconds += solve_cost(method, rows, p, p, threads=threads, memory_budget=memory_budget)[1]
        if tolerance is not None and _PREFIX_ERROR_SCALE * 2.0**-p <= tolerance:
            break
    return workspace, seconds


# cached: a run's estimate costs every target layer, and the cap (~60 budget checks) depends on
# the budget alone; a 100,000-layer chain asked 100,000 times, seconds before the run started
@functools.cache
def _single_instance_cap(method: str, memory_budget: int) -> int:
    return exact_in_memory(memory_budget) if method == "exact" else fewest_in_memory(memory_budget)
