"""Checks of a subset-sum instance's magnitudes, beyond finiteness: what float64 sums can hold.

HiGHS (the ``milp`` solver) needs no check of its own: it gets every instance far from unit
magnitude scaled by a power of two into [1/2, 1) (`_milp`), and so solved every finite
instance measured, from subnormal to 1e307 (docs/performance.md, "HiGHS across magnitudes")."""

from __future__ import annotations

import torch

from ...basics.errors import InvalidArgument


def check_sums_finite(coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor) -> None:
    """Every subset sum and its distance to the target, `|t| + Σ|c_i|` at most, must be finite
    in float64: past it the solvers compare infinities (``exact`` returned the empty subset at
    error 1e308 where one coefficient hit a target of 1e308 exactly). One float64 norm of all
    coefficients proves it for every row at once; only when it does not, rows are summed."""
    if not coeffs.numel():
        return
    total = torch.linalg.vector_norm(coeffs, ord=1, dtype=torch.float64)
    if torch.isfinite(total + targets.abs().max().double()):
        return
    rows = torch.where(valid, coeffs.double().abs(), 0).sum(1) + targets.double().abs()  # (m,)
    bad = (~torch.isfinite(rows)).nonzero().flatten()
    if bad.numel():
        r = int(bad[0])
        raise InvalidArgument(
            f"coeffs: row {r}'s subset sums overflow float64 (|targets[{r}]| + the sum of "
            "its valid |coeffs| is inf); scale the instance down"
        )
