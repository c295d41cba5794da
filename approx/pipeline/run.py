"""One run: a target, a construction's random network, the search, and the error three ways.

    plan (validate, size, refuse)  ->  target (draw or check)  ->  sample  ->  prune
        ->  certify  ->  empirical  ->  RunResult

`run(...)` returns a `RunResult` (`approx.pipeline.result`). Everything that can be refused is
refused in `plan_run`, before anything is drawn.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.devices import parse_device, parse_dtype
from ..basics.errors import (
    InvalidArgument,
    TargetAssumptionError,
    check_open_unit,
    check_positive_int,
)
from ..basics.masks import masked_forward
from ..basics.network import Network
from ..basics.sampling import random_target, spawn_seeds
from ..basics.versions import software_versions
from ..constructions import Construction, Pruned, check_covered, get_construction
from ..engine.subset_sum import SOLVERS, max_coefficients
from ..measurement.bounds import default_weight_tolerance, packing_lower_bound_params
from ..measurement.certified import CertifiedBound, certified_error
from ..measurement.empirical import EmpiricalError, empirical_error
from .result import Artifacts, RunResult


@dataclass(frozen=True)
class RunPlan:
    """Everything a run decided before drawing anything."""

    construction: Construction
    target_widths: tuple[int, ...]
    n: tuple[int, ...]
    n_source: str
    C: float
    theorem_n: tuple[int, ...]
    random_widths: tuple[int, ...]
    solver: str
    weight_tolerance: float | None
    device: torch.device
    dtype: torch.dtype
    seeds: tuple[int, int, int]  # target, random network, empirical search


def _parse_n(n: int | Sequence[int], depth: int) -> tuple[int, ...]:
    if isinstance(n, int) and not isinstance(n, bool):
        return (check_positive_int("n", n),) * depth
    values = tuple(n)
    if len(values) != depth:
        raise InvalidArgument(f"n={list(values)} has {len(values)} entries; the target has {depth}")
    for v in values:
        check_positive_int("n", v)
    return values


def _n_params(widths: Sequence[int]) -> int:
    return sum(a * b for a, b in itertools.pairwise(widths))


def _target_widths(target: Network | None, widths: Sequence[int] | None) -> tuple[int, ...]:
    if (target is None) == (widths is None):
        raise InvalidArgument("give exactly one of target= and widths=")
    if target is not None:
        return check_covered(target).widths
    tw = tuple(widths)
    if len(tw) < 2 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in tw):
        raise InvalidArgument(f"widths={list(tw)} must be >= 2 positive integers")
    return tw


def _check_size(plan_n: tuple[int, ...], cons: Construction, solver: str, tw, dtype) -> None:
    limit = max_coefficients(solver)
    size = max(cons.instance_size(k) for k in plan_n)
    if limit is not None and size > limit:
        raise InvalidArgument(
            f"n={list(plan_n)} gives subset-sum instances of up to {size} coefficients; "
            f"solver={solver!r} handles at most {limit} (lower n or eps, or pick another solver)"
        )
    random_params = _n_params(cons.random_widths(tw, plan_n))
    itemsize = torch.empty((), dtype=dtype).element_size()
    if random_params * (itemsize + 1) > defaults.MAX_RANDOM_NET_BYTES:
        raise InvalidArgument(
            f"n={list(plan_n)} for widths {list(tw)} needs a random net of {random_params:,} "
            f"weights (> {defaults.MAX_RANDOM_NET_BYTES / 2**30:.0f} GiB with masks); lower n "
            "or widths"
        )


def plan_run(
    target: Network | None,
    widths: Sequence[int] | None,
    *,
    eps: float,
    delta: float,
    construction: str,
    n: int | Sequence[int] | None,
    C: float | None,
    solver: str,
    seed: int,
    device: str,
    dtype: str,
    empirical_samples: int,
    ascent_steps: int,
    weight_tolerance: float | None,
) -> RunPlan:
    """Validate every argument, size the random network and refuse what cannot run, in
    milliseconds and before anything is drawn."""
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_int("empirical_samples", empirical_samples)
    if isinstance(ascent_steps, bool) or not isinstance(ascent_steps, int) or ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps!r} must be an integer >= 0")
    torch_dtype = parse_dtype(dtype)
    torch_device = parse_device(device)
    cons = get_construction(construction)
    if solver not in SOLVERS:
        raise InvalidArgument(f"solver={solver!r} is not one of {list(SOLVERS)}")
    if solver != "fewest" and weight_tolerance is not None:
        raise InvalidArgument(
            f"weight_tolerance={weight_tolerance!r} is only used by solver='fewest', not {solver!r}"
        )
    seeds = tuple(spawn_seeds(seed, 3))
    tw = _target_widths(target, widths)
    C = cons.default_C if C is None else C
    theorem_n = cons.size(tw, eps, delta, C)
    if n is None:
        n_used, n_source = theorem_n, f"theorem formula, C={C:g}"
    else:
        n_used, n_source = _parse_n(n, len(tw) - 1), "user"
    _check_size(n_used, cons, solver, tw, torch_dtype)
    if solver == "fewest" and weight_tolerance is None:
        weight_tolerance = default_weight_tolerance(tw, eps)
    return RunPlan(
        construction=cons,
        target_widths=tw,
        n=n_used,
        n_source=n_source,
        C=C,
        theorem_n=theorem_n,
        random_widths=cons.random_widths(tw, n_used),
        solver=solver,
        weight_tolerance=weight_tolerance,
        device=torch_device,
        dtype=torch_dtype,
        seeds=seeds,
    )


def _scaled(net: Network, factors: tuple[float, ...]) -> Network:
    return net.with_weights(w * f for w, f in zip(net.weights, factors, strict=True))


def prepare_target(
    target: Network | None, plan: RunPlan, *, rescale: bool
) -> tuple[Network, tuple[float, ...] | None]:
    """The target on the run's device and dtype, inside the construction's class: drawn from
    the plan's seed when None (Uniform entries, `||W_i||_2 = 1`, then scaled down to the
    boundary of a smaller class), else checked — in float64, with a slack for the dtype's
    rounding — and rescaled only if `rescale`. Returns it and the rescale factors (or None)."""
    cons = plan.construction
    if target is None:
        drawn = random_target(
            plan.target_widths,
            generator=torch.Generator().manual_seed(plan.seeds[0]),
            dtype=torch.float64,
        )
        if cons.check_target(drawn):
            drawn = _scaled(drawn, cons.rescale_factors(drawn))
        target = drawn
    target = target.to(device=plan.device, dtype=plan.dtype)
    factors = None
    violations = cons.check_target(target)
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
    return target, factors


def run(
    target: Network | None = None,
    *,
    widths: Sequence[int] | None = None,
    eps: float = defaults.EPS,
    delta: float = defaults.DELTA,
    construction: str = defaults.CONSTRUCTION,
    n: int | Sequence[int] | None = None,
    C: float | None = None,
    solver: str = defaults.SOLVER,
    seed: int = defaults.SEED,
    rescale: bool = False,
    device: str = defaults.DEVICE,
    dtype: str = defaults.DTYPE,
    empirical_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    weight_tolerance: float | None = None,
) -> RunResult:
    """Sample the construction's random network, prune it to approximate `target`, and measure.

    `target` or `widths` (a random target with Uniform[-1,1] entries scaled to `||W_i||_2 = 1`,
    drawn from `seed`, then scaled down to the boundary of the construction's class where that
    class is smaller). `n`: samples per weight (one int for all layers, or one per layer);
    None takes the theorem's formula with constant `C` (None: the construction's default).
    `rescale`: scale each layer that breaks the construction's assumptions down into its class
    (Pensia's: divide by the spectral norm; the factors are reported) instead of refusing it.

    `weight_tolerance` (solver ``fewest`` only): each weight keeps the sparsest subset whose
    error is at most this. None takes `default_weight_tolerance(widths, eps)`,
    `ε / (2 l sqrt(2 max_i d_{i-1} d_i))`, which keeps the certified error ≤ ε wherever every
    weight reaches it (see there).
    """
    t_start = time.perf_counter()
    plan = plan_run(
        target,
        widths,
        eps=eps,
        delta=delta,
        construction=construction,
        n=n,
        C=C,
        solver=solver,
        seed=seed,
        device=device,
        dtype=dtype,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        weight_tolerance=weight_tolerance,
    )
    target, factors = prepare_target(target, plan, rescale=rescale)
    measured = execute(plan, target, empirical_samples=empirical_samples, ascent_steps=ascent_steps)
    return _result(
        plan,
        measured,
        factors,
        eps=eps,
        delta=delta,
        n=n,
        seed=seed,
        dtype=dtype,
        seconds=time.perf_counter() - t_start,
    )


@dataclass(frozen=True)
class _Measured:
    random_net: Network
    pruned: Pruned
    certified: CertifiedBound
    empirical: EmpiricalError
    target: Network
    phases: dict[str, float]


def execute(
    plan: RunPlan, target: Network, *, empirical_samples: int, ascent_steps: int
) -> _Measured:
    """Sample, prune, certify, and search for the empirical error, timing each phase."""
    cons, phases = plan.construction, {}

    t = time.perf_counter()
    random_net = cons.sample(
        plan.target_widths,
        plan.n,
        generator=torch.Generator().manual_seed(plan.seeds[1]),
        device=plan.device,
        dtype=plan.dtype,
    )
    phases["sample"] = time.perf_counter() - t

    t = time.perf_counter()
    pruned = cons.prune(target, random_net, solver=plan.solver, tolerance=plan.weight_tolerance)
    phases["prune"] = time.perf_counter() - t

    t = time.perf_counter()
    cert = certified_error(target, pruned.layers)
    phases["certify"] = time.perf_counter() - t

    t = time.perf_counter()
    emp = empirical_error(
        target.forward,
        masked_forward(random_net, pruned.masks),
        plan.target_widths[0],
        generator=torch.Generator().manual_seed(plan.seeds[2]),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        dtype=plan.dtype,
        device=plan.device,
    )
    phases["empirical"] = time.perf_counter() - t
    return _Measured(random_net, pruned, cert, emp, target, phases)


def _result(
    plan: RunPlan,
    m: _Measured,
    factors: tuple[float, ...] | None,
    *,
    eps: float,
    delta: float,
    n,
    seed: int,
    dtype: str,
    seconds: float,
) -> RunResult:
    cons, tw, target, pruned = plan.construction, plan.target_widths, m.target, m.pruned
    return RunResult(
        construction=cons.name,
        theorem=cons.theorem.citation,
        target_widths=tw,
        target_depth=target.depth,
        target_params=target.n_params,
        random_widths=plan.random_widths,
        random_depth=m.random_net.depth,
        n_per_layer=plan.n,
        n_source=plan.n_source,
        C=plan.C if n is None else None,
        theorem_n_per_layer=plan.theorem_n,
        random_params=_n_params(plan.random_widths),
        theorem_random_params=_n_params(cons.random_widths(tw, plan.theorem_n)),
        kept_params=pruned.masks.n_kept,
        kept_per_layer=pruned.masks.n_kept_per_layer(),
        density=pruned.masks.density,
        n_instances=pruned.n_instances,
        search=pruned.search,
        max_weight_error=pruned.max_weight_error(target),
        certified_error=m.certified.value,
        certified_layer_errors=m.certified.layer_errors,
        empirical_error=m.empirical.value,
        empirical_samples=m.empirical.n_samples,
        ascent_steps=m.empirical.ascent_steps,
        eps=eps,
        delta=delta,
        certified_within_eps=m.certified.value <= eps,
        empirical_within_eps=m.empirical.value <= eps,
        lower_bound_params_per_layer=tuple(
            packing_lower_bound_params(d_out, d_in, eps) for d_in, d_out in itertools.pairwise(tw)
        ),
        rescale_factors=factors,
        seed=seed,
        solver=plan.solver,
        weight_tolerance=plan.weight_tolerance,
        device=str(plan.device),
        dtype=dtype,
        seconds=seconds,
        phase_seconds=m.phases,
        versions=software_versions(),
        artifacts=Artifacts(target=target, random_net=m.random_net, pruned=pruned),
    )
