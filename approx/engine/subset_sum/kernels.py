"""The compiled (numba) kernels each solver method calls on CPU, and which of them numba has
not compiled on this machine yet (`approx.basics.kernel_cache`)."""

from __future__ import annotations

from ...basics.kernel_cache import uncached
from ._fewest_kernels import fewest_rows
from ._fixed_kernels import fixed_rows
from ._mitm_kernels import exact_rows

# "exact" on CUDA is a torch kernel; "fewest" and "fixed" run on CPU for tensors anywhere
KERNELS = {"exact": (exact_rows,), "fewest": (fewest_rows,), "fixed": (fixed_rows,)}
CPU_ONLY = ("fewest", "fixed")


def uncompiled_kernels(method: str, device_type: str = "cpu") -> tuple[str, ...]:
    """The kernels `method` calls for tensors on `device_type` that numba's on-disk cache does
    not hold yet: the first call compiles them (seconds each)."""
    if device_type != "cpu" and method not in CPU_ONLY:
        return ()
    return uncached(KERNELS.get(method, ()))
