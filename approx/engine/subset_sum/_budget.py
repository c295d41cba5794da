"""Chunking over rows so that a solver's temporaries fit in `memory_budget` bytes."""

from __future__ import annotations

import torch

from ...basics.errors import InvalidArgument


def row_chunks(m: int, per_row: int, budget: int, *, shared: int = 0, why: str) -> list[slice]:
    """Slices of range(m), each as long as `shared + len * per_row <= budget` allows.

    Raises at once (before the caller allocates anything) when one row does not fit; `why`
    says what a row needs the memory for, and the message names `coeffs`, whose size is what
    the caller can change.
    """
    rows = (budget - shared) // per_row
    if rows < 1:
        raise InvalidArgument(
            f"coeffs: {why} needs {shared + per_row} bytes per instance, more than "
            f"memory_budget={budget}"
        )
    return [slice(start, min(start + rows, m)) for start in range(0, m, rows)]


def valid_counts(valid: torch.Tensor) -> torch.Tensor:
    """(m,) int64: the valid coefficients of each row of a (m, k) bool mask. The bytes summed
    as uint8 into int32: `valid.sum(1)` converts every entry to int64 first, 0.15 s on the
    784-500-10 run's (794,000, 42) mask against 0.06 s, and a run counted it four times (now
    once per layer: `solve_any_size` hands its counts to the kernel and to the report)."""
    if valid.dtype != torch.bool:
        return (valid != 0).sum(1)
    return valid.view(torch.uint8).sum(1, dtype=torch.int32).to(torch.int64)


def max_valid_count(valid: torch.Tensor, budget: int) -> int:
    """The largest number of valid coefficients in a row (0 if there are no rows), counted in
    blocks of rows so that the (rows,) int64 counts stay within a quarter of the budget."""
    rows = max(1, budget // 32)
    return max(
        (int(valid_counts(valid[s : s + rows]).max()) for s in range(0, len(valid), rows)),
        default=0,
    )
