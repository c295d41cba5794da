"""What a `solve` call will cost, before it is made: bytes of workspace and seconds.

The byte counts are the solvers' own (the workspace each numba lane or row chunk allocates,
capped by the memory budget that chunking enforces). The seconds are a model, not a promise:
per-row constants measured with one thread on a loaded 2-core x86 machine (numba 0.60, torch
2.13; `exact` ~7 ns and `fewest` ~30 ns per visited half-sum and coefficient, `brute` ~3 ns
per subset and coefficient, `greedy` ~10 ns per coefficient pair), good to a factor of a few.
"""

from __future__ import annotations

from ...basics.defaults import SOLVER_MEMORY_BUDGET
from ._numba_fewest import workspace_bytes as fewest_workspace_bytes
from ._numba_mitm import workspace_bytes

_ROW_OVERHEAD_S = 5e-6
_EXACT_S = 7e-9
_FEWEST_S = 30e-9
_BRUTE_S = 3e-9
_GREEDY_S = 1e-8
_MILP_ROW_S = 1e-2


def solve_cost(
    method: str,
    rows: int,
    k: int,
    valid: float,
    valid_max: float | None = None,
    *,
    threads: int = 1,
    memory_budget: int = SOLVER_MEMORY_BUDGET,
) -> tuple[int, float]:
    """(workspace bytes, seconds) of `solve(method=method)` on `rows` instances of `k`
    coefficients of which about `valid` are valid in a typical row (which sets the time) and
    at most `valid_max` (default `valid`; it sets the workspace), on `threads` threads."""
    c = min(k, max(0, round(valid)))
    c_max = min(k, max(c, round(valid if valid_max is None else valid_max)))
    half = c / 2
    if method in ("exact", "fewest", "fixed"):  # fixed: costed like exact
        per_lane = workspace_bytes(c_max) if method == "exact" else fewest_workspace_bytes(c_max)
        workspace = min(memory_budget, max(1, threads) * per_lane)
        per_row = (_EXACT_S if method == "exact" else _FEWEST_S) * 2**half * max(half, 1)
    elif method == "brute":
        workspace = min(memory_budget, rows * 2**k * 9)
        per_row = _BRUTE_S * 2**k * k
    elif method == "greedy":
        workspace = min(memory_budget, rows * (40 * k + 64))
        per_row = _GREEDY_S * k * k
    else:  # milp: one small HiGHS problem per row
        workspace = 0
        per_row = _MILP_ROW_S
    seconds = rows * (_ROW_OVERHEAD_S + per_row) / max(1, threads if method != "milp" else 1)
    return workspace, seconds
