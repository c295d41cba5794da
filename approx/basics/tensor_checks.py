"""Checks on tensors, and the tolerances that follow a tensor's dtype.

A bound checked against a tensor must allow for the rounding of the tensor's own dtype: a
float32 matrix normalised to spectral norm 1 in float32 has a float64 norm of 1 ± ~1e-7,
which is the same matrix as far as float32 can say, not a violation.
"""

from __future__ import annotations

import torch

from .errors import InvalidArgument


def check_finite(name: str, t: torch.Tensor) -> None:
    # A finite sum proves every entry finite (a NaN entry makes the sum NaN, an infinite one
    # makes it infinite or NaN): one read of the tensor and no mask of its size, which on the
    # 53M weights of a 784-500-10 run's random network is ~4x cheaper. Only a sum that is not
    # finite (a bad entry, or finite entries whose sum overflows) needs the entrywise check.
    if t.numel() and torch.isfinite(t.sum()):
        return
    if not torch.isfinite(t).all():
        bad = (~torch.isfinite(t)).sum().item()
        raise InvalidArgument(f"{name} has {bad} non-finite (NaN or inf) entries")


def check_float_dtype(name: str, dtype, *, allow_none: bool = False) -> torch.dtype | None:
    """`dtype` must be a floating torch.dtype (or None where `allow_none`)."""
    if dtype is None and allow_none:
        return None
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        extra = " or None" if allow_none else ""
        raise InvalidArgument(f"{name}={dtype!r} must be a floating torch.dtype{extra}")
    return dtype


def check_generator(name: str, generator) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise InvalidArgument(f"{name}={generator!r} must be a torch.Generator")
    return generator


def rounding_slack(dtype: torch.dtype, size: int) -> float:
    """Relative slack for comparing a norm of a `dtype` tensor against a bound: what rounding
    the entries (one unit roundoff each) and computing a norm over `size` terms in that dtype
    can add, `4 · sqrt(size) · u`, and never below 1e-9 (float64's slack before this existed,
    kept so float64 targets are accepted as before). float32 at size 1,000: 1.5e-5."""
    u = torch.finfo(dtype).eps / 2
    return max(1e-9, 4 * max(size, 1) ** 0.5 * u)
