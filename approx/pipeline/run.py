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

`input_shape` `(c, H, W)`: the input of a target that starts with a convolution (the CNN
construction, ``cnn``); its widths are then flattened feature counts `c·H·W` and the errors
norms of flattened tensors.

`error`: "certified" (the default) or "sandwich" — also run `approx.measurement.sandwich`
(exact for 1 or 2 inputs, else branch and bound over at most `sandwich_boxes` boxes; depth-2l
constructions only); the result's `error_upper`, `error_lower` are the tightest values
measured and `error_method` says how ("certified", "sandwich" or "exact").

`target` may be an `approx.Network`, an `nn.Sequential` (or `nn.Linear`), its state dict,
a list of weight tensors `[W_1, …, W_l]` (`(d_out, d_in)` each), or the path of a file
`torch.save` wrote of any of those (`approx.basics.loading.as_network`); it is converted to
`dtype` after its class is checked in its own dtype.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.loading import TargetLike, as_network
from ..basics.masks import masked_forward
from ..basics.network import RELU, Network
from ..basics.progress import PHASES_FORMAT, RUN_DELAY, progress_bar
from ..basics.versions import software_versions
from ..constructions import Pruned
from ..measurement.bounds import packing_lower_bound_params
from ..measurement.certified import CertifiedBound
from ..measurement.empirical import EmpiricalError, flat_forward
from ..measurement.max_norm import max_norm_errors
from ..measurement.sandwich import Sandwich
from ..measurement.stored import StoredLayer
from .kernels import kernels_to_compile
from .measure import (
    bracket,
    certify_stored,
    check_error_options,
    check_sandwich,
    error_values,
    per_weight_fields,
    search,
)
from .plan import RunPlan, hidden_activation, plan_run, positively_homogeneous, random_params
from .result import Artifacts, RunResult
from .target import prepare_target, prepare_target_scaled

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
    input_shape: Sequence[int] | None = None,
    max_memory_gib: float | None = None,
    error: str = defaults.ERROR_METHOD,
    sandwich_boxes: int = defaults.SANDWICH_BOXES,
) -> RunResult:
    """Sample the construction's random network, prune it to approximate `target`, and measure
    (every argument is described in this module's docstring, "Arguments of `run`")."""
    t_start = time.perf_counter()
    check_error_options(error, sandwich_boxes)
    if target is None and input_shape is not None:
        raise InvalidArgument("input_shape= (--input-shape) describes a given target")
    target = None if target is None else as_network(target, input_shape=input_shape)
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
    if error == "sandwich":
        check_sandwich(plan.target_widths, plan.construction, target)
    announce(plan, enabled=progress)
    target, factors, drawn_factors = prepare_target_scaled(target, plan, rescale=rescale)
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
        drawn_factors=drawn_factors,
        eps=eps,
        delta=delta,
        n=n,
        seed=seed,
        dtype=dtype,
        seconds=time.perf_counter() - t_start,
    )


def announce(plan: RunPlan, *, enabled: bool) -> None:
    """One line on stderr with the plan's estimate, when the run should take a while, and one
    before numba compiles kernels the run needs (their first use on this machine)."""
    if not enabled:
        return
    est = plan.estimate
    if est is not None and est.seconds > defaults.ANNOUNCE_SECONDS:
        print(f"approx run: {est.describe()}", file=sys.stderr, flush=True)
    missing = kernels_to_compile(plan)
    if missing:
        print(
            f"approx run: first use on this machine: compiling {', '.join(missing)} (numba; "
            "seconds to tens of seconds, once: later runs load them from its cache)",
            file=sys.stderr,
            flush=True,
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
    max_norm: tuple[float, float] | None = None  # (certified, empirical) in max-norm


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
            bar.set_description_str("approx run: sandwich", refresh=False)
            t = time.perf_counter()
            found = bracket(measured.stored, measured.empirical, sandwich_boxes)
            bar.update(1)
            phases = {**measured.phases, "sandwich": time.perf_counter() - t}
            measured = dataclasses.replace(measured, phases=phases, sandwich=found)
        return measured


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
    cert, stored = certify_stored(target, random_net, pruned)
    phases["certify"] = time.perf_counter() - t
    next_phase("empirical")

    t = time.perf_counter()
    emp = search(
        target,
        random_net,
        pruned,
        stored,
        generator=torch.Generator().manual_seed(plan.seeds[2]),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        device=plan.device,
        **({} if positively_homogeneous(target) else {"domain": "ball"}),
        **_chunk_options(plan.estimate),
    )
    max_norm = None
    if getattr(cons, "max_norm_error", False) and pruned.copies is None:  # the theorem's norm
        max_norm = max_norm_errors(
            target,
            flat_forward(masked_forward(random_net, pruned.masks), target.input_shape),
            pruned.layers,
            generator=torch.Generator().manual_seed(plan.seeds[2] + 1),
            n_samples=empirical_samples,
            ascent_steps=ascent_steps,
            certified_l2=cert.value,
        )
    phases["empirical"] = time.perf_counter() - t
    next_phase("done")
    return _Measured(random_net, pruned, cert, emp, target, phases, stored, max_norm=max_norm)


def _chunk_options(estimate) -> dict:
    """The empirical phase's chunk rows: the estimate's (sized to its memory budget), or the
    library's default where the run was not estimated."""
    if estimate is None:
        return {"chunk_rows": defaults.EMPIRICAL_CHUNK_ROWS}
    return {"chunk_rows": estimate.chunk_rows, "search_chunk_rows": estimate.search_chunk_rows}


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
            packing_lower_bound_params(d_out, d_in, eps) if layer.kind == "dense" else 0.0
            for (d_in, d_out), layer in zip(itertools.pairwise(tw), target.layers, strict=True)
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
        **per_weight_fields(target, pruned),
        drawn_target_factors=drawn_factors,
        activation=str(hidden_activation(target)),
        target_biases=any(b is not None for b in target.biases),
        empirical_domain="sphere" if positively_homogeneous(target) else "ball",
        **error_values(m.certified, m.empirical, m.sandwich),
        input_shape=target.input_shape,
        target_layers=tuple(layer.describe() for layer in target.layers),
        certified_error_max_norm=None if m.max_norm is None else m.max_norm[0],
        empirical_error_max_norm=None if m.max_norm is None else m.max_norm[1],
    )


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
