"""One run: a target, a construction's random network, the search, and the error three ways.

    plan (validate, size, refuse)  ->  target (draw or check)  ->  sample  ->  prune
        ->  certify  ->  empirical  ->  RunResult

`run(...)` returns a `RunResult` (`approx.pipeline.result`). Everything that can be refused is
refused in `plan_run`, before anything is drawn.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument, TargetAssumptionError
from ..basics.masks import masked_forward
from ..basics.network import Network
from ..basics.progress import PHASES_FORMAT, RUN_DELAY, progress_bar
from ..basics.sampling import random_target
from ..basics.versions import software_versions
from ..constructions import Pruned
from ..measurement.bounds import packing_lower_bound_params
from ..measurement.certified import CertifiedBound, certify
from ..measurement.difference import error_at
from ..measurement.empirical import EmpiricalError, empirical_error
from ..measurement.sandwich import Sandwich, sandwich
from ..measurement.sandwich import check_size as check_sandwich_size
from ..measurement.stored import StoredLayer, stored_layers
from .plan import RunPlan, n_params, plan_run
from .result import Artifacts, RunResult


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
    progress: bool = False,
    error: str = defaults.ERROR_METHOD,
    sandwich_boxes: int = defaults.SANDWICH_BOXES,
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

    `progress`: a bar of the phases on stderr, shown once the run has taken a few seconds.

    `error`: "certified" or "sandwich" (also `approx.measurement.sandwich`: exact for 1 or 2
    inputs, else branch and bound over ≤ `sandwich_boxes` boxes); the result's `error_upper`,
    `error_lower` are the tightest values measured, `error_method` how ("certified", ...).
    """
    t_start = time.perf_counter()
    _check_error_options(error, sandwich_boxes)
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
    if error == "sandwich":
        check_sandwich_size(plan.target_widths)
    target, factors = prepare_target(target, plan, rescale=rescale)
    measured = execute(
        plan,
        target,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        progress=progress,
        error=error,
        sandwich_boxes=sandwich_boxes,
    )
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


def _check_error_options(error: str, sandwich_boxes: int) -> None:
    if error not in defaults.ERROR_METHODS:
        raise InvalidArgument(
            f"error={error!r} (--error) is not one of {list(defaults.ERROR_METHODS)}"
        )
    if (
        isinstance(sandwich_boxes, bool)
        or not isinstance(sandwich_boxes, int)
        or sandwich_boxes < 1
    ):
        raise InvalidArgument(
            f"sandwich_boxes={sandwich_boxes!r} (--sandwich-boxes) must be a positive integer"
        )


@dataclass(frozen=True)
class _Measured:
    random_net: Network
    pruned: Pruned
    certified: CertifiedBound
    empirical: EmpiricalError
    target: Network
    phases: dict[str, float]
    stored: tuple[StoredLayer, ...] = ()
    sandwich: Sandwich | None = None


def execute(
    plan: RunPlan,
    target: Network,
    *,
    empirical_samples: int,
    ascent_steps: int,
    progress: bool = False,
    error: str = defaults.ERROR_METHOD,
    sandwich_boxes: int = defaults.SANDWICH_BOXES,
) -> _Measured:
    """Sample, prune, certify, and search for the empirical error (and the sandwich when
    `error` is "sandwich"), timing each phase."""
    with progress_bar(
        4 + (error == "sandwich"),
        desc="approx run: sample",
        unit="phase",
        enabled=progress,
        delay=RUN_DELAY,
        ticking=True,
        bar_format=PHASES_FORMAT,
    ) as bar:
        measured = _phases(plan, target, empirical_samples, ascent_steps, bar)
        if error == "sandwich":
            measured = _sandwich_phase(measured, sandwich_boxes, bar)
        return measured


def _sandwich_phase(m: _Measured, boxes: int, bar) -> _Measured:
    bar.set_description_str("approx run: sandwich", refresh=False)
    t = time.perf_counter()
    found = sandwich(m.stored, max_boxes=boxes, start_points=m.empirical.argmax[None, :])
    bar.update(1)
    phases = {**m.phases, "sandwich": time.perf_counter() - t}
    return dataclasses.replace(m, phases=phases, sandwich=found)


def _error_values(m: _Measured) -> dict:
    """The tightest upper and lower values measured, and which method gave them."""
    if m.sandwich is None:
        return {
            "error_upper": m.certified.value,
            "error_lower": m.empirical.value,
            "error_method": "certified",
        }
    exact = m.sandwich.method == "exact regions"
    return {
        "error_upper": min(m.certified.value, m.sandwich.upper),
        "error_lower": max(m.empirical.value, m.sandwich.lower),
        "error_method": "exact" if exact else "sandwich",
    }


def _phases(plan: RunPlan, target: Network, empirical_samples: int, ascent_steps: int, bar):
    cons, phases = plan.construction, {}

    def next_phase(name: str) -> None:
        bar.set_description_str(f"approx run: {name}", refresh=False)
        bar.update(1)

    t = time.perf_counter()
    random_net = cons.sample(
        plan.target_widths,
        plan.n,
        generator=torch.Generator().manual_seed(plan.seeds[1]),
        device=plan.device,
        dtype=plan.dtype,
    )
    phases["sample"] = time.perf_counter() - t
    next_phase("prune")

    t = time.perf_counter()
    pruned = cons.prune(target, random_net, solver=plan.solver, tolerance=plan.weight_tolerance)
    phases["prune"] = time.perf_counter() - t
    next_phase("certify")

    t = time.perf_counter()
    stored = stored_layers(target, random_net, pruned.masks)
    cert = certify(target, pruned.layers, stored)
    phases["certify"] = time.perf_counter() - t
    next_phase("empirical")

    t = time.perf_counter()
    # Every error is of the stored weights read as reals: a float32 network is searched in
    # float64 (an exact widening), so float32 rounding of the search cannot lift it above
    # the certified bound.
    f64, net64 = target, random_net
    if plan.dtype != torch.float64:
        f64, net64 = target.to(dtype=torch.float64), random_net.to(dtype=torch.float64)
    emp = empirical_error(
        f64.forward,
        masked_forward(net64, pruned.masks),
        plan.target_widths[0],
        generator=torch.Generator().manual_seed(plan.seeds[2]),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        dtype=torch.float64,
        device=plan.device,
        error_map=lambda x: error_at(stored, x),
    )
    phases["empirical"] = time.perf_counter() - t
    next_phase("done")
    return _Measured(random_net, pruned, cert, emp, target, phases, stored)


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
        random_params=n_params(plan.random_widths),
        theorem_random_params=n_params(cons.random_widths(tw, plan.theorem_n)),
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
        **_error_values(m),
    )
