"""Which compiled kernels a planned run will call that numba has not compiled on this machine
yet (`approx.basics.kernel_cache`): the run says so before it sits for seconds compiling."""

from __future__ import annotations

from ..engine.subset_sum.kernels import uncompiled_kernels
from ..measurement.stored import stored_kernel_uncompiled
from .plan import RunPlan


def kernels_to_compile(plan: RunPlan) -> tuple[str, ...]:
    """The uncompiled kernels of the plan's subset-sum method (none where the construction
    calls no solver; Natale's fixed-size search whichever solver was named) and, on CPU, of
    the certified bound's stored sums (half-line constructions on a dense target)."""
    cons = plan.construction
    missing: tuple[str, ...] = ()
    if any(cons.instance_size(k) for k in plan.n):
        method = getattr(cons, "subset_sum_method", plan.solver)
        missing += uncompiled_kernels(method, plan.device.type)
    dense_half_line = not getattr(cons, "realises_copies", False) and len(plan.target_widths) > 1
    if plan.device.type == "cpu" and dense_half_line and getattr(cons, "difference_form", True):
        missing += stored_kernel_uncompiled()
    return missing
