"""The run's target: drawn from the plan's seed or checked against the construction's class
(in float64, with a slack for the dtype's rounding), on the run's device and dtype."""

from __future__ import annotations

import torch

from ..basics.errors import TargetAssumptionError
from ..basics.network import Network
from ..basics.sampling import random_target
from .plan import RunPlan


def _scaled(net: Network, factors: tuple[float, ...]) -> Network:
    """Each layer (weights and bias) times its factor."""
    scaled = net.with_weights(w * f for w, f in zip(net.weights, factors, strict=True))
    if all(b is None for b in net.biases):
        return scaled
    return scaled.with_biases(
        None if b is None else b * f for b, f in zip(net.biases, factors, strict=True)
    )


def _coarser(given: Network, converted: Network) -> Network:
    """Of the target as given and its copy in the run's dtype, the one whose dtype rounds
    more coarsely: a float32 target normalised in float32 reads 1 + 1e-7 in float64, within
    float32's rounding, which the check allows for that dtype."""
    coarse = torch.finfo(given.dtype).eps > torch.finfo(converted.dtype).eps
    return given if coarse else converted


def prepare_target(
    target: Network | None, plan: RunPlan, *, rescale: bool
) -> tuple[Network, tuple[float, ...] | None]:
    """The target on the run's device and dtype, inside the construction's class: drawn from
    the plan's seed when None (Uniform entries, `||W_i||_2 = 1`, then scaled down to the
    boundary of a smaller class), else checked — in float64, with a slack for the dtype's
    rounding — and rescaled only if `rescale`. Returns it and the rescale factors (or None)."""
    prepared, factors, _ = prepare_target_scaled(target, plan, rescale=rescale)
    return prepared, factors


def prepare_target_scaled(
    target: Network | None, plan: RunPlan, *, rescale: bool
) -> tuple[Network, tuple[float, ...] | None, tuple[float, ...] | None]:
    """`prepare_target`, and the factors a drawn target was scaled by to enter the
    construction's class (None when the target was given or needed none)."""
    cons = plan.construction
    drawn_factors = None
    if target is None:
        drawn = random_target(
            plan.target_widths,
            generator=torch.Generator().manual_seed(plan.seeds[0]),
            dtype=torch.float64,
            activation=plan.activation,
            bias=plan.bias,
        )
        if cons.check_target(drawn):
            drawn_factors = cons.rescale_factors(drawn)
            drawn = _scaled(drawn, drawn_factors)
        target = drawn
    given = target
    target = target.to(device=plan.device, dtype=plan.dtype)
    factors = None
    violations = cons.check_target(_coarser(given, target))
    if violations and rescale:
        factors = cons.rescale_factors(target)
        target = _scaled(target, factors)
        violations = cons.check_target(target)
    if violations:
        detail = "; ".join(v.message for v in violations)
        raise TargetAssumptionError(
            f"target breaks the assumptions of {cons.theorem.citation}: {detail} "
            "(pass rescale=True / --rescale to scale such layers down into the class)"
        )
    return target, factors, drawn_factors
