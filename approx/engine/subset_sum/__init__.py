"""Batched subset sum: for every row, the subset of its coefficients whose sum is closest to
its target.

Every strong-lottery-ticket construction (Pensia et al. 2020, Lemmas 1-3; Burkholz 2022;
da Cunha et al. 2022) ends in one subset-sum problem per target weight: among n random
coefficients c_1..c_n, keep a subset S minimising |sum_{i in S} c_i - w|. `solve` takes m such
instances at once, one per row, and returns which coefficients each row keeps.

Methods (`SOLVERS`):

- ``exact``: the true optimum by Horowitz-Sahni meet-in-the-middle, O(n 2^(n/2)) time with
  O(2^(n/2)) memory. On CPU a numba kernel, parallel over rows; on CUDA a vectorised torch
  kernel (sorted half sums + searchsorted).
- ``greedy``: add the unused coefficient that most reduces |residual| while one does. A fast
  baseline, not a solver: its error shrinks only slowly with n (docs/performance.md).
- ``brute``: all 2^n subsets; the test oracle (n <= 20).
- ``fewest``: among the subsets with error <= `tolerance`, one with the fewest kept
  coefficients (ties: the smaller error); where no subset is that close, the ``exact`` optimum.
  Exact, by meet in the middle with popcounts carried through the sorted halves (`_numba_fewest`),
  O(n 2^(n/2)) like ``exact``; computed on CPU for tensors on any device. Sparser tickets:
  Natale et al. 2024's question.
- ``fixed``: among the subsets of exactly `size` valid coefficients (all of them where a row has
  fewer), one whose sum is closest to the target. Exact, by meet in the middle over sizes: each
  half's ascending sums per subset size, then the closest pair for every split of `size`
  (`_fixed`); cheap for small `size` (Σ_{q ≤ size} C(h, q) sums per half of h), 2^(n/2) at
  worst. Computed on CPU for tensors on any device. Natale et al. 2024's fixed-size subset sum.
- ``milp``: one scipy.optimize.milp (HiGHS) problem per row, as the published code did with
  Gurobi. HiGHS stops at its default 1e-6 absolute gap, so it can miss the optimum by ~1e-6.

All methods search in float64 (float32 coefficients are widened exactly); `value` is then
recomputed in the coefficients' own dtype as ``(coeffs * chosen).sum(1)`` (by `kept_sum`), one
fixed order for every method, so errors from different methods are comparable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ...basics.defaults import SOLVER_MEMORY_BUDGET
from ...basics.errors import InvalidArgument, check_positive_int
from ...basics.masks import kept_sum
from ...basics.tensor_checks import check_finite
from ._brute import MAX_K, brute
from ._budget import valid_counts
from ._cost import solve_cost
from ._enumeration import exact_by_enumeration, fewest_by_enumeration
from ._fixed import (
    MAX_EXCESS,
    MAX_FIXED_VALID,
    check_subset_size,
    fixed_by_enumeration,
    fixed_capacity,
    fixed_in_memory,
    fixed_numba,
)
from ._greedy import greedy
from ._magnitudes import check_sums_finite
from ._milp import milp
from ._numba_fewest import fewest_numba
from ._numba_fewest import workspace_bytes as fewest_workspace_bytes
from ._numba_mitm import MAX_VALID, exact_numba, workspace_bytes
from ._torch_mitm import exact_torch, torch_fits

__all__ = [
    "SOLVERS",
    "SubsetSumResult",
    "exact_in_memory",
    "fewest_in_memory",
    "fixed_row_limit",
    "max_coefficients",
    "solve",
    "solve_cost",
    "valid_counts",
]


@dataclass(frozen=True)
class SubsetSumResult:
    """The answer for m instances.

    chosen: (m, k) bool, True = coefficient kept; never True where `valid` is False.
    value:  (m,) the kept coefficients' sum, ``(coeffs * chosen).sum(1)``, coeffs' dtype.
    error:  (m,) |value - target|.
    """

    chosen: torch.Tensor
    value: torch.Tensor
    error: torch.Tensor


SOLVERS: tuple[str, ...] = ("exact", "greedy", "brute", "milp", "fewest", "fixed")


def fixed_row_limit(size: int, memory_budget: int = SOLVER_MEMORY_BUDGET) -> int:
    """The most valid coefficients a row may have for ``fixed`` with subset size `size`: what
    one meet in the middle holds within `memory_budget` (at most 124), plus the `MAX_EXCESS`
    it enumerates; `solve` refuses a batch with a row beyond it."""
    return fixed_in_memory(size, memory_budget, MAX_FIXED_VALID) + MAX_EXCESS


def max_coefficients(method: str, memory_budget: int = SOLVER_MEMORY_BUDGET) -> int | None:
    """The most valid coefficients per instance that `method` accepts (``exact`` and
    ``fewest``: 62, the bit-mask width; ``fixed``: 124, a bit mask per half; ``brute``: 20);
    None = no fixed limit.

    ``exact`` solves instances of up to `exact_in_memory(memory_budget)` valid coefficients
    (48 at the default budget) in one meet in the middle; a row with more is still solved
    exactly, by enumerating the 2^e choices of its e excess coefficients and solving the rest
    for each (time grows by 2^e, memory does not). ``fewest`` does the same beyond
    `fewest_in_memory(memory_budget)` (46 at the default budget).
    """
    if method not in SOLVERS:
        raise InvalidArgument(f"method={method!r} is not one of {SOLVERS}")
    check_positive_int("memory_budget", memory_budget)
    if method == "brute":
        return MAX_K
    if method == "fixed":
        return MAX_FIXED_VALID
    if method in ("exact", "fewest"):
        return MAX_VALID
    return None


def exact_in_memory(memory_budget: int = SOLVER_MEMORY_BUDGET) -> int:
    """The most valid coefficients one ``exact`` instance may have to be solved in a single
    meet in the middle within `memory_budget` bytes."""
    check_positive_int("memory_budget", memory_budget)
    fits = [c for c in range(MAX_VALID + 1) if exact_fits(c, memory_budget)]
    return max(fits, default=0)


def fewest_in_memory(memory_budget: int = SOLVER_MEMORY_BUDGET) -> int:
    """The most valid coefficients one ``fewest`` instance may have to be solved in a single
    meet in the middle within `memory_budget` bytes."""
    check_positive_int("memory_budget", memory_budget)
    fits = [
        c for c in range(MAX_VALID + 1) if fewest_workspace_bytes(c) + 9 * c + 8 <= memory_budget
    ]
    return max(fits, default=0)


_FLOATS = (torch.float32, torch.float64)


def exact_fits(c: int, memory_budget: int) -> bool:
    """Whether one instance of c valid coefficients fits the budget on CPU and with torch."""
    return workspace_bytes(c) + 9 * c + 8 <= memory_budget and torch_fits(c, memory_budget)


def solve(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor | None = None,
    *,
    method: str = "exact",
    memory_budget: int = SOLVER_MEMORY_BUDGET,
    tolerance: float | None = None,
    size: int | None = None,
) -> SubsetSumResult:
    """Solve m independent subset-sum instances, one per row.

    Row r: choose S within {i : valid[r, i]} minimising |sum_{i in S} coeffs[r, i] - targets[r]|
    (the empty subset is allowed). ``fewest`` instead minimises |S| over the S within
    `tolerance` of the target (ties: the smaller error), and falls back to the least error
    where no S is that close. ``fixed`` minimises the error over the S with exactly
    min(`size`, valid count) elements.

    Args:
        coeffs: (m, k) float32 or float64, finite, on any device; m may be 0.
        targets: (m,) same dtype and device as coeffs, finite.
        valid: (m, k) bool, or None for all valid. Rows with few valid coefficients cost
            little for ``exact`` (work ~ 2^(c/2) for c valid, not 2^(k/2)).
        method: one of `SOLVERS`.
        memory_budget: bytes of temporary memory the solver may hold at once; rows are
            processed in chunks to stay within it whatever m is. Workspace per instance with
            c valid coefficients, h = ceil(c/2):
            exact on CPU: ~36 * 2^h bytes per worker thread (every level of both halves'
            sorted sums; see `_numba_mitm.workspace_bytes`), plus 9k + 8 bytes per row
            for the float64 copy of the input; exact with torch: ~40 * 2^h bytes per row for
            the sorted half plus ~100 bytes per enumerated subset of the other half, which is
            sliced when a row does not fit; brute: ~16 * 2^k bytes per row plus a 13k * 2^k
            byte subset table; greedy: ~40k bytes per row; milp: one instance at a time.
            fewest: ~84 * 2^h bytes per worker thread (`_numba_fewest.workspace_bytes`)
            plus 9k + 8 bytes per row. fixed: 64 * Σ_{q ≤ size} C(h, q) bytes per worker
            thread (`_fixed.workspace_bytes`) plus 9k + 16 bytes per row. A budget below
            one instance's workspace raises InvalidArgument naming coeffs.
        tolerance: ``fewest`` only, and required there: the largest error, > 0, at which a
            subset counts as close enough. Compared with float64 sums (for float32 coeffs
            too), so a float32 `error` may differ from it in the last float32 place.

    Returns:
        SubsetSumResult on coeffs' device with chosen (m, k) bool, value and error (m,) in
        coeffs' dtype.

    Raises:
        InvalidArgument: wrong shapes, dtypes, devices, non-finite values, unknown method, or
            too many valid coefficients for the method or the budget.
    """
    valid = _check(coeffs, targets, valid, method, memory_budget)
    _check_tolerance(method, tolerance)
    check_subset_size(method, size)
    coeffs, targets = coeffs.detach(), targets.detach()
    if method == "exact":
        chosen = _exact(coeffs, targets, valid, memory_budget)
    elif method == "fewest":
        chosen = _fewest(coeffs, targets, valid, float(tolerance), memory_budget)
    elif method == "fixed":
        chosen = _fixed(coeffs, targets, valid, size, memory_budget)
    elif method == "greedy":
        chosen = greedy(coeffs, targets, valid, memory_budget)
    elif method == "brute":
        chosen = brute(coeffs, targets, valid, memory_budget)
    else:
        chosen = milp(coeffs, targets, valid)
    return result(coeffs, targets, chosen)


def _by_row_size(method, coeffs, targets, valid, cap, solve_rows, solve_large_row, most=MAX_VALID):
    """Rows with at most `cap` valid coefficients (what one meet in the middle holds within the
    memory budget) go to `solve_rows` in one batch, with their valid counts (counted here
    once); each larger row (at most `most`) to `solve_large_row` (enumeration of its excess
    choices). Such rows are rare in the constructions: Pensia's rows have Binomial(2n, 1/2)
    valid coefficients."""
    counts = valid_counts(valid)
    if counts.numel() and int(counts.max()) > most:
        raise InvalidArgument(
            f"coeffs has a row with {int(counts.max())} valid coefficients; method={method!r} "
            f"accepts at most {most}"
        )
    if cap == 0:
        raise InvalidArgument(f"memory_budget is below one {method} instance's workspace; raise it")
    large = counts > cap
    if not bool(large.any()):
        return solve_rows(coeffs, targets, valid, counts)
    chosen = torch.zeros_like(valid)
    fits = ~large
    chosen[fits] = solve_rows(coeffs[fits], targets[fits], valid[fits], counts[fits])
    for r in large.nonzero().flatten().tolist():
        chosen[r] = solve_large_row(coeffs[r], targets[r], valid[r])
    return chosen


def _exact(
    coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, budget: int
) -> torch.Tensor:
    """Exact optimum of every row (`_by_row_size`)."""
    kernel = exact_numba if coeffs.device.type == "cpu" else exact_torch
    cap = exact_in_memory(budget)
    return _by_row_size(
        "exact",
        coeffs,
        targets,
        valid,
        cap,
        lambda c, t, v, n: kernel(c, t, v, budget, n),
        lambda c, t, v: exact_by_enumeration(c, t, v, cap, kernel, budget),
    )


def _fewest(
    coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, tol: float, budget: int
) -> torch.Tensor:
    """``fewest`` for every row (`_by_row_size`)."""
    cap = fewest_in_memory(budget)
    return _by_row_size(
        "fewest",
        coeffs,
        targets,
        valid,
        cap,
        lambda c, t, v, n: fewest_numba(c, t, v, tol, budget, n),
        lambda c, t, v: fewest_by_enumeration(c, t, v, cap, tol, budget),
    )


def _fixed(
    coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor, size: int, budget: int
) -> torch.Tensor:
    """``fixed`` for every row (`_by_row_size`)."""
    cap = fixed_capacity(valid, size, budget)
    return _by_row_size(
        "fixed",
        coeffs,
        targets,
        valid,
        cap,
        lambda c, t, v, n: fixed_numba(c, t, v, n.clamp(max=size), budget),
        lambda c, t, v: fixed_by_enumeration(c, t, v, cap, size, budget),
        most=MAX_FIXED_VALID,
    )


def _check_tolerance(method: str, tolerance: float | None) -> None:
    """``fewest`` needs a finite tolerance > 0; the other methods take none."""
    if method != "fewest":
        if tolerance is not None:
            raise InvalidArgument(
                f"tolerance={tolerance!r} is only used by method='fewest', not {method!r}"
            )
        return
    if tolerance is None:
        raise InvalidArgument("tolerance=None: method='fewest' needs a tolerance > 0")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
        raise InvalidArgument(f"tolerance={tolerance!r} must be a number > 0")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise InvalidArgument(f"tolerance={tolerance!r} must be finite and > 0")


def result(coeffs: torch.Tensor, targets: torch.Tensor, chosen: torch.Tensor) -> SubsetSumResult:
    """Value and error recomputed from the chosen mask, in one fixed order for every method."""
    value = kept_sum(coeffs, chosen)  # (m,): (coeffs * chosen).sum(1)
    return SubsetSumResult(chosen=chosen, value=value, error=(value - targets).abs())


def _check(
    coeffs: torch.Tensor,
    targets: torch.Tensor,
    valid: torch.Tensor | None,
    method: str,
    memory_budget: int,
) -> torch.Tensor:
    """Validate at the boundary; returns `valid` as an (m, k) bool tensor."""
    if method not in SOLVERS:
        raise InvalidArgument(f"method={method!r} is not one of {SOLVERS}")
    check_positive_int("memory_budget", memory_budget)
    if not isinstance(coeffs, torch.Tensor):
        raise InvalidArgument(f"coeffs must be a torch.Tensor, got {type(coeffs).__name__}")
    if coeffs.dim() != 2:
        raise InvalidArgument(f"coeffs must be 2-D (m, k), got shape {tuple(coeffs.shape)}")
    if coeffs.dtype not in _FLOATS:
        raise InvalidArgument(f"coeffs has dtype {coeffs.dtype}; expected float32 or float64")
    m, k = coeffs.shape
    if not isinstance(targets, torch.Tensor):
        raise InvalidArgument(f"targets must be a torch.Tensor, got {type(targets).__name__}")
    if targets.shape != (m,):
        raise InvalidArgument(
            f"targets has shape {tuple(targets.shape)}; expected ({m},) to match coeffs"
        )
    if targets.dtype != coeffs.dtype or targets.device != coeffs.device:
        raise InvalidArgument(
            f"targets is {targets.dtype} on {targets.device}; expected coeffs' "
            f"{coeffs.dtype} on {coeffs.device}"
        )
    if valid is None:
        valid = torch.ones((m, k), dtype=torch.bool, device=coeffs.device)
    elif not isinstance(valid, torch.Tensor):
        raise InvalidArgument(f"valid must be a torch.Tensor or None, got {type(valid).__name__}")
    elif valid.dtype != torch.bool:
        raise InvalidArgument(f"valid has dtype {valid.dtype}; expected torch.bool")
    elif valid.shape != (m, k) or valid.device != coeffs.device:
        raise InvalidArgument(
            f"valid has shape {tuple(valid.shape)} on {valid.device}; expected ({m}, {k}) "
            f"on {coeffs.device} to match coeffs"
        )
    check_finite("coeffs", coeffs)
    check_finite("targets", targets)
    check_sums_finite(coeffs, targets, valid)
    return valid
