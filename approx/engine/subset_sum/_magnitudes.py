"""Checks of a subset-sum instance's magnitudes, beyond finiteness: what float64 sums and
HiGHS (the ``milp`` solver) can hold."""

from __future__ import annotations

import torch

from ...basics.errors import InvalidArgument

# HiGHS refuses a model with a matrix entry of 1e15 or more ("Model error": its
# `large_matrix_value`) and reads a right-hand side of 1e20 or more as infinite
MILP_MAX_COEFF = 1e15
MILP_MAX_TARGET = 1e20


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


def check_milp_range(coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor) -> None:
    """``milp`` hands each instance (its valid coefficients) to HiGHS as it is: refuse what
    HiGHS cannot read, naming the argument (a RuntimeError from inside the solve before)."""
    coeffs, targets = coeffs.detach(), targets.detach()  # float() of a grad tensor warns
    sizes = {
        "coeffs": (torch.where(valid, coeffs.abs(), 0), MILP_MAX_COEFF),
        "targets": (targets.abs(), MILP_MAX_TARGET),
    }
    for name, (size, limit) in sizes.items():
        if size.numel() and float(size.max()) >= limit:
            raise InvalidArgument(
                f"{name} has an entry of magnitude {float(size.max()):.3g}; method='milp' "
                f"(HiGHS) takes magnitudes below {limit:g} (scale the instance, or use 'exact')"
            )
