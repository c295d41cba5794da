"""A run's plan: every argument validated, the random network sized, and everything that
cannot run refused — in milliseconds, before anything is drawn."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..basics import defaults
from ..basics.devices import parse_device, parse_dtype
from ..basics.errors import (
    InvalidArgument,
    as_tuple,
    check_open_unit,
    check_positive_int,
    check_positive_number,
)
from ..basics.network import RELU, Activation, Network
from ..basics.sampling import spawn_seeds
from ..basics.units import format_widths
from ..constructions import CONSTRUCTIONS, Construction, check_covered, get_construction
from ..engine.subset_sum import SOLVERS, fixed_row_limit, max_coefficients
from ..engine.subset_sum.any_size import ANY_SIZE_METHODS
from ..measurement.bounds import default_weight_tolerance
from .estimate import RunEstimate, check_memory, estimate_run


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
    density: float | None = None  # the requested ticket density (constructions that take one)
    # where an instance is too large for one exact pass: the error at which its prefix stops
    # widening (approx.engine.subset_sum.any_size); None for solvers without that route
    prefix_tolerance: float | None = None
    activation: Activation = RELU  # a random target's
    bias: bool = False  # a random target's
    estimate: RunEstimate | None = None  # peak memory and time (approx.pipeline.estimate)


def _parse_n(n: int | Sequence[int], depth: int) -> tuple[int, ...]:
    if isinstance(n, int) and not isinstance(n, bool):
        return (check_positive_int("n", n),) * depth
    values = as_tuple("n", n, "a positive integer, or one per target layer")
    if len(values) != depth:
        raise InvalidArgument(f"n={list(values)} has {len(values)} entries; the target has {depth}")
    for v in values:
        check_positive_int("n", v)
    return values


def n_params(widths: Sequence[int]) -> int:
    return sum(a * b for a, b in itertools.pairwise(widths))


def random_params(cons: Construction, target_widths: tuple[int, ...], n: tuple[int, ...]) -> int:
    """Parameters of the construction's random network for `n`: its own count where it has
    one (random biases), else the weights of its `random_widths`."""
    count = getattr(cons, "random_params", None)
    return count(target_widths, n) if count else n_params(cons.random_widths(target_widths, n))


def _check_structure(cons: Construction, target: Network, where: str) -> None:
    """Refuse a target (or the shape of a random one) the chosen construction does not cover,
    naming the construction and the first such layer."""
    violations = cons.check_structure(target)
    if violations:
        v = violations[0]
        raise InvalidArgument(
            f"{where}: construction {cons.name!r} does not cover layer {v.layer} ({v.message})"
        )


def hidden_activation(target: Network) -> Activation:
    """The activation between the target's layers (ReLU for a single layer)."""
    return target.activations[0] if target.depth > 1 else RELU


def positively_homogeneous(target: Network) -> bool:
    """`f(cx) = c f(x)` for c ≥ 0: no bias and a ReLU-family activation. Only then is the sup of
    `||f − g||` over the ball attained on the sphere (for the constructions' g as well: they
    realise a bias-free ReLU-family target with a bias-free, homogeneous g)."""
    return all(b is None for b in target.biases) and hidden_activation(target).name in (
        "relu",
        "leaky_relu",
    )


def _random_target_shape(widths: tuple[int, ...], activation: Activation, bias: bool) -> Network:
    """A zero network with a random target's structure, for `check_structure` before drawing."""
    ws = [torch.zeros(b, a, dtype=torch.float64) for a, b in itertools.pairwise(widths)]
    bs = [torch.ones(b, dtype=torch.float64) for b in widths[1:]] if bias else None
    return Network.dense(ws, biases=bs, activation=activation)


def _target_widths(target: Network | None, widths: Sequence[int] | None) -> tuple[int, ...]:
    if (target is None) == (widths is None):
        raise InvalidArgument("give exactly one of target= and widths=")
    if target is not None:
        covered = check_covered(target)
        return covered.widths if covered.is_dense else covered.feature_widths
    tw = as_tuple("widths", widths, "a list of >= 2 positive integers")
    if len(tw) < 2 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in tw):
        raise InvalidArgument(f"widths={list(tw)} must be >= 2 positive integers")
    if n_params(tw) * 8 > defaults.MAX_TARGET_BYTES:

        def short(v: int) -> str:
            return str(v) if v < 10**9 else f"~1e{len(str(v)) - 1}"

        raise InvalidArgument(
            f"widths=[{', '.join(map(short, tw))}] give a target of {short(n_params(tw))} "
            "weights, more than "
            f"the {defaults.MAX_TARGET_BYTES // 8:,} a target may have (its random network "
            "would be thousands of times larger)"
        )
    return tw


def _check_instance_size(plan_n: tuple[int, ...], cons: Construction, solver: str) -> None:
    """Only a solver with a fixed width refuses (``exact`` and ``fewest`` take instances of
    any size, labelling those beyond one exact pass); the message names the options that
    make the run go."""
    limit = None if solver in ANY_SIZE_METHODS else max_coefficients(solver)
    # brute enumerates every column, valid or not (where a construction has more columns)
    size_of = getattr(cons, "instance_columns", None) if solver == "brute" else None
    size_of = size_of or cons.instance_size
    size = max(size_of(k) for k in plan_n)
    if limit is not None and size > limit:
        fits = max((k for k in range(1, limit + 1) if size_of(k) <= limit), default=0)
        smaller = f", or --n {fits} or less" if fits else ""
        raise InvalidArgument(
            f"n={list(plan_n)} gives subset-sum instances of up to {size} coefficients; "
            f"solver={solver!r} handles at most {limit}: pass --solver exact (any n){smaller}"
        )


def _check_fixed_rows(plan_n: tuple[int, ...], cons: Construction, tw) -> None:
    """A construction whose engine method is ``fixed`` (Natale's, whatever the solver's name)
    refuses, before anything is drawn, a layer whose typical instance (`instance_size`:
    about n of its 2n units have the weight's sign) has more valid coefficients than ``fixed``
    takes at its subset size: the prune would refuse its first row after the sampling (and,
    for a huge n, the run estimate would be costing impossible instances)."""
    if getattr(cons, "subset_sum_method", None) != "fixed":
        return
    sizes = cons.subset_sizes(tuple(tw), plan_n)
    for i, (n_i, size) in enumerate(zip(plan_n, sizes, strict=True), start=1):
        limit, typical = fixed_row_limit(size), cons.instance_size(n_i)
        if typical > limit:
            # a row's count is Binomial(2n, 1/2): n + 5 sd stays within the limit for all but
            # ~3e-7 of the rows (a smaller n has a smaller subset size: no smaller a limit)
            safe = max(k for k in range(1, limit + 1) if k + 2.5 * math.sqrt(2 * k) <= limit)
            raise InvalidArgument(
                f"n={list(plan_n)}: layer {i}'s instances have about {typical} "
                f"valid units each (half of its 2n = {2 * n_i}), and the exact fixed-size "
                f"search keeping {size} of them takes rows of at most {limit}: pass --n {safe} "
                "or less (or a larger --eps, for the theorem's n)"
            )


def _check_size(plan_n: tuple[int, ...], cons: Construction, solver: str, tw, dtype) -> None:
    _check_instance_size(plan_n, cons, solver)
    _check_fixed_rows(plan_n, cons, tw)
    count = random_params(cons, tw, plan_n)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if count * (itemsize + 1) > defaults.MAX_RANDOM_NET_BYTES:
        raise InvalidArgument(
            f"n={list(plan_n)} for widths {format_widths(tw)} needs a random net of {count:,} "
            f"weights (> {defaults.MAX_RANDOM_NET_BYTES / 2**30:.0f} GiB with masks); lower n "
            "or widths"
        )


def _tolerances(tw, eps: float, solver: str, weight_tolerance: float | None):
    """(weight tolerance, prefix tolerance) of a run: fewest's default per-weight tolerance
    where none is given, and where a row too large for one meet in the middle stops widening
    (None for solvers without that route)."""
    default = default_weight_tolerance(tw, eps)
    if not default > 0:
        raise InvalidArgument(
            f"eps={eps!r} is too small for widths {format_widths(tw)}: the per-weight tolerance "
            "eps / (2 l sqrt(2 d_in d_out)) underflows to 0"
        )
    if solver == "fewest" and weight_tolerance is None:
        weight_tolerance = default
    return weight_tolerance, {"exact": default, "fewest": weight_tolerance}.get(solver)


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
    density: float | None = None,
    activation: str | None = None,
    bias: bool = False,
    max_memory_gib: float | None = None,
) -> RunPlan:
    """Validate every argument, size the random network and refuse what cannot run, in
    milliseconds and before anything is drawn: above all a run whose estimated peak memory
    (`approx.pipeline.estimate`) exceeds what is available or `max_memory_gib`. `activation`,
    `bias`: a random target's."""
    _check_numbers(eps, delta, empirical_samples, ascent_steps, max_memory_gib)
    torch_dtype = parse_dtype(dtype)
    torch_device = parse_device(device)
    cons = get_construction(construction)
    _check_solver(cons, solver, weight_tolerance)
    seeds = tuple(spawn_seeds(seed, 3))
    act = _random_target_activation(target, activation, bias)
    tw = _target_widths(target, widths)
    shape = target if target is not None else _random_target_shape(tw, act, bias)
    cons = _for_run(_covering(cons, target, shape), tw, eps, density)
    C = cons.default_C if C is None else C
    theorem_n = cons.size(tw, eps, delta, C)
    if n is None:
        n_used, n_source = theorem_n, f"theorem formula, C={C:g}"
    else:
        n_used, n_source = _parse_n(n, len(tw) - 1), "user"
    _check_size(n_used, cons, solver, tw, torch_dtype)
    weight_tolerance, prefix_tolerance = _tolerances(tw, eps, solver, weight_tolerance)
    estimate = estimate_run(
        cons,
        tw,
        n_used,
        solver=solver,
        dtype=torch_dtype,
        device=torch_device,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        max_memory_gib=max_memory_gib,
        prefix_tolerance=prefix_tolerance,
        homogeneous=positively_homogeneous(shape),
    )
    check_memory(
        estimate, n_used, theorem=n is None, max_memory_gib=max_memory_gib, ascent=ascent_steps > 0
    )
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
        density=density,
        prefix_tolerance=prefix_tolerance,
        activation=act,
        bias=bias,
        estimate=estimate,
    )


def _covering(cons: Construction, target: Network | None, shape: Network):
    """`cons` once it is known to cover the target (or `shape`, the random target's), configured
    for a given target's geometry where it needs it (`for_target`: the CNN construction)."""
    if target is None:
        _check_structure(cons, shape, "random target")
        return cons
    _check_structure(cons, target, "target")
    for_target = getattr(cons, "for_target", None)
    return cons if for_target is None else for_target(target)


def _check_numbers(eps, delta, empirical_samples, ascent_steps, max_memory_gib) -> None:
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_int("empirical_samples", empirical_samples)
    if isinstance(ascent_steps, bool) or not isinstance(ascent_steps, int) or ascent_steps < 0:
        raise InvalidArgument(f"ascent_steps={ascent_steps!r} must be an integer >= 0")
    if max_memory_gib is not None:
        check_positive_number("max_memory_gib", max_memory_gib)


def _check_solver(cons: Construction, solver: str, weight_tolerance: float | None) -> None:
    if solver not in SOLVERS:
        raise InvalidArgument(f"solver={solver!r} is not one of {list(SOLVERS)}")
    accepted = getattr(cons, "solvers", SOLVERS)
    if solver not in accepted:
        raise InvalidArgument(
            f"solver={solver!r} does not apply to construction {cons.name!r}; it takes one of "
            f"{list(accepted)}"
        )
    if solver != "fewest" and weight_tolerance is not None:
        raise InvalidArgument(
            f"weight_tolerance={weight_tolerance!r} is only used by solver='fewest', not {solver!r}"
        )
    if weight_tolerance is not None:
        check_positive_number("weight_tolerance", weight_tolerance)


def _random_target_activation(
    target: Network | None, activation: str | None, bias: bool
) -> Activation:
    """The activation of a random target (`activation`, `bias` describe a random target only)."""
    if target is not None and (activation is not None or bias):
        raise InvalidArgument(
            "activation= and bias= describe a random target; a given target carries its own"
        )
    if not isinstance(bias, bool):
        raise InvalidArgument(f"bias={bias!r} must be True or False")
    if activation is not None and not isinstance(activation, str):
        raise InvalidArgument(f"activation={activation!r} must be a name such as 'tanh'")
    return Activation.parse(defaults.ACTIVATION if activation is None else activation)


def _for_run(cons: Construction, widths: tuple[int, ...], eps: float, density: float | None):
    """The construction configured for this run (`for_run`: constructions whose random network
    or search depends on eps or on a requested density); `density` is refused, naming the
    constructions that take it, for any other construction."""
    if density is not None and "density" not in getattr(cons, "run_options", ()):
        takes = sorted(
            n for n, c in CONSTRUCTIONS.items() if "density" in getattr(c, "run_options", ())
        )
        raise InvalidArgument(
            f"density={density!r} (--density) is an option of construction(s) {', '.join(takes)}, "
            f"not {cons.name}"
        )
    for_run = getattr(cons, "for_run", None)
    return cons if for_run is None else for_run(widths, eps, density)
