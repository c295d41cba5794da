"""One run: a target, a construction's random network, the search, and the error three ways.

    plan (validate, size, refuse)  ->  target (draw or check)  ->  sample  ->  prune
        ->  certify  ->  empirical  ->  RunResult

`run(...)` returns a `RunResult` (`approx.pipeline.result`). Everything that can be refused is
refused in `plan_run`, before anything is drawn.

Arguments of `run`:

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

`progress`: a bar of the phases on stderr, shown once the run has taken a few seconds,
after one line with the estimated time and peak memory when the run should take longer
than `defaults.ANNOUNCE_SECONDS`.

`max_memory_gib`: refuse the run if its estimated peak memory exceeds this many GiB (it is
always refused above the memory available); the empirical phase's chunks are sized to fit.

`density` (constructions with a density option, e.g. ``natale``): the ticket's density
γ ∈ (0, 1) — the construction keeps at most this fraction of the random network's weights.
None takes the construction's default.

`activation` (a random target only; a given target carries its own): the activation
between the random target's layers, e.g. "tanh" or "leaky_relu(0.1)" (None: ReLU);
`bias`: give the random target Uniform[-1, 1] biases. Both must be covered by the
construction (`check_structure`), or the run is refused.

`target` may be an `approx.Network`, an `nn.Sequential` (or `nn.Linear`), its state dict,
a list of weight tensors `[W_1, …, W_l]` (`(d_out, d_in)` each), or the path of a file
`torch.save` wrote of any of those (`approx.basics.loading.as_network`); it is converted to
`dtype` after its class is checked in its own dtype.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.loading import TargetLike, as_network
from ..basics.masks import masked_forward
from ..basics.network import RELU, Network
from ..basics.progress import PHASES_FORMAT, RUN_DELAY, progress_bar
from ..basics.versions import software_versions
from ..constructions import Pruned
from ..measurement.bounds import packing_lower_bound_params
from ..measurement.certified import CertifiedBound, certify
from ..measurement.empirical import EmpiricalError, empirical_error
from ..measurement.per_weight import per_weight_error
from .plan import RunPlan, plan_run, random_params
from .result import Artifacts, RunResult
from .target import (
    hidden_activation,
    positively_homogeneous,
    prepare_target,
    prepare_target_scaled,
)

__all__ = ["hidden_activation", "positively_homogeneous", "prepare_target", "run"]


def run(
    target: TargetLike | None = None,
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
    density: float | None = None,
    activation: str | None = None,
    bias: bool = False,
    max_memory_gib: float | None = None,
) -> RunResult:
    """Sample the construction's random network, prune it to approximate `target`, and measure
    (every argument is described in this module's docstring, "Arguments of `run`")."""
    t_start = time.perf_counter()
    target = None if target is None else as_network(target)
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
        density=density,
        activation=activation,
        bias=bias,
        max_memory_gib=max_memory_gib,
    )
    announce(plan, enabled=progress)
    target, factors, drawn_factors = prepare_target_scaled(target, plan, rescale=rescale)
    measured = execute(
        plan,
        target,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        progress=progress,
    )
    return _result(
        plan,
        measured,
        factors,
        drawn_factors=drawn_factors,
        eps=eps,
        delta=delta,
        n=n,
        seed=seed,
        dtype=dtype,
        seconds=time.perf_counter() - t_start,
    )


def announce(plan: RunPlan, *, enabled: bool) -> None:
    """One line on stderr with the plan's estimate, when the run should take a while."""
    est = plan.estimate
    if enabled and est is not None and est.seconds > defaults.ANNOUNCE_SECONDS:
        print(f"approx run: {est.describe()}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class _Measured:
    random_net: Network
    pruned: Pruned
    certified: CertifiedBound
    empirical: EmpiricalError
    target: Network
    phases: dict[str, float]


def execute(
    plan: RunPlan,
    target: Network,
    *,
    empirical_samples: int,
    ascent_steps: int,
    progress: bool = False,
) -> _Measured:
    """Sample, prune, certify, and search for the empirical error, timing each phase."""
    with progress_bar(
        4,
        desc="approx run: sample",
        unit="phase",
        enabled=progress,
        delay=RUN_DELAY,
        ticking=True,
        bar_format=PHASES_FORMAT,
    ) as bar:
        return _phases(plan, target, empirical_samples, ascent_steps, bar)


def _phases(plan: RunPlan, target: Network, empirical_samples: int, ascent_steps: int, bar):
    cons, phases = plan.construction, {}

    def next_phase(name: str) -> None:
        bar.set_description_str(f"approx run: {name}", refresh=False)
        bar.update(1)

    t = time.perf_counter()
    act = hidden_activation(target)
    # only constructions covering other activations take one (Construction.sample)
    extra = {} if act == RELU else {"activation": act}
    random_net = cons.sample(
        plan.target_widths,
        plan.n,
        generator=torch.Generator().manual_seed(plan.seeds[1]),
        device=plan.device,
        dtype=plan.dtype,
        **extra,
    )
    phases["sample"] = time.perf_counter() - t
    next_phase("prune")

    t = time.perf_counter()
    pruned = cons.prune(
        target,
        random_net,
        solver=plan.solver,
        tolerance=plan.weight_tolerance,
        prefix_tolerance=plan.prefix_tolerance,
    )
    phases["prune"] = time.perf_counter() - t
    next_phase("certify")

    t = time.perf_counter()
    cert = certify(target, pruned)
    phases["certify"] = time.perf_counter() - t
    next_phase("empirical")

    t = time.perf_counter()
    emp = empirical_error(
        target.forward,
        masked_forward(
            random_net, pruned.masks, drop_dead_units=getattr(cons, "drop_dead_units", False)
        ),
        plan.target_widths[0],
        generator=torch.Generator().manual_seed(plan.seeds[2]),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        dtype=plan.dtype,
        device=plan.device,
        **({} if positively_homogeneous(target) else {"domain": "ball"}),
        chunk_rows=(
            defaults.EMPIRICAL_CHUNK_ROWS if plan.estimate is None else plan.estimate.chunk_rows
        ),
    )
    phases["empirical"] = time.perf_counter() - t
    next_phase("done")
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
    drawn_factors: tuple[float, ...] | None = None,
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
        random_params=m.random_net.n_params,
        theorem_random_params=random_params(cons, tw, plan.theorem_n),
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
        requested_density=getattr(cons, "density", None),
        artifacts=Artifacts(target=target, random_net=m.random_net, pruned=pruned),
        **_row_fields(plan, pruned),
        **_per_weight_fields(target, pruned),
        drawn_target_factors=drawn_factors,
        activation=str(hidden_activation(target)),
        target_biases=any(b is not None for b in target.biases),
        empirical_domain="sphere" if positively_homogeneous(target) else "ball",
    )


def _per_weight_fields(target: Network, pruned: Pruned) -> dict:
    if pruned.copies is not None:  # depth l + 1: every copy's weights act on the inputs
        return {"max_weight_error_used": pruned.max_weight_error(target)}
    split = per_weight_error(target, pruned.layers)
    return {"max_weight_error_used": split.used, "max_weight_error_unused": split.unused}


def _row_fields(plan: RunPlan, pruned: Pruned) -> dict:
    """How the per-weight instances were solved, per layer (None without a size routing)."""
    rows = pruned.row_methods
    if rows is None:
        return {}
    return {
        "row_methods": tuple(r.counts() for r in rows),
        "prefix_tolerance": plan.prefix_tolerance,
        "max_valid_per_layer": tuple(int(r.valid.max()) for r in rows),
    }
