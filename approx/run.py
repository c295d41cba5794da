"""One run: a target, a construction's random network, the search, and the error three ways.

`run(...)` returns a `RunResult`: the configuration, seed, versions, timings and every figure,
the single thing that tables, JSON, stores and plots read. The tensors (target, random network,
masks, realised layers) ride along in `RunResult.artifacts`, which `to_json` leaves out.
"""

from __future__ import annotations

import itertools
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import torch

from . import __version__
from .bounds import packing_lower_bound_params
from .constructions import Pruned, get_construction
from .error import certified_error, empirical_error
from .errors import InvalidArgument, TargetAssumptionError, check_open_unit, check_positive_int
from .masks import masked_forward
from .nets import ReLUNet
from .random_nets import random_target, spawn_seeds
from .subset_sum import SOLVERS, max_coefficients

DTYPES = {"float64": torch.float64, "float32": torch.float32}

# Refuse random networks whose weights alone would exceed this (bytes): a clear error instead of
# an out-of-memory kill half-way through sampling.
MAX_RANDOM_NET_BYTES = 12 * 2**30


@dataclass(frozen=True)
class Artifacts:
    target: ReLUNet
    random_net: ReLUNet
    pruned: Pruned


@dataclass(frozen=True)
class RunResult:
    construction: str
    theorem: str
    target_widths: tuple[int, ...]
    target_depth: int
    target_params: int
    random_widths: tuple[int, ...]
    random_depth: int
    n_per_layer: tuple[int, ...]
    n_source: str
    C: float | None
    theorem_n_per_layer: tuple[int, ...]
    random_params: int
    theorem_random_params: int
    kept_params: int
    kept_per_layer: tuple[int, ...]
    density: float
    n_instances: int
    search: str
    max_weight_error: float
    certified_error: float
    certified_layer_errors: tuple[float, ...]
    empirical_error: float
    empirical_samples: int
    ascent_steps: int
    eps: float
    delta: float
    certified_within_eps: bool
    empirical_within_eps: bool
    lower_bound_params_per_layer: tuple[float, ...]
    rescale_factors: tuple[float, ...] | None
    seed: int
    solver: str
    weight_tolerance: float | None
    device: str
    dtype: str
    seconds: float
    phase_seconds: dict[str, float]
    versions: dict[str, str]
    artifacts: Artifacts | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        """Plain JSON-able dict of every figure (no tensors)."""
        out = {}
        for f in fields(self):
            if f.name != "artifacts":  # tensors: network.pt, not JSON
                v = getattr(self, f.name)
                out[f.name] = list(v) if isinstance(v, tuple) else v
        return out


def _parse_n(n: int | Sequence[int], depth: int) -> tuple[int, ...]:
    if isinstance(n, int) and not isinstance(n, bool):
        return (check_positive_int("n", n),) * depth
    values = tuple(n)
    if len(values) != depth:
        raise InvalidArgument(f"n={list(values)} has {len(values)} entries; the target has {depth}")
    for v in values:
        check_positive_int("n", v)
    return values


def default_weight_tolerance(widths: Sequence[int], eps: float) -> float:
    """Per-weight tolerance `τ = ε / (2 l sqrt(2 max_i d_{i-1} d_i))` for solver ``fewest``.

    If every realised weight of a half-line layer is within τ of its target (`|P − W|`,
    `|N − W|` entrywise), the layer error of `approx.error.certified_error` is at most
    `||[P − W, N − W]||_2 ≤ ||[P − W, N − W]||_F ≤ τ sqrt(2 d_{i-1} d_i) ≤ ε / (2l)`, and with
    `||W_i||_2 ≤ 1` its recursion gives `1 + Δ_i ≤ (1 + e_i)(1 + Δ_{i-1})`, so the certified
    error is at most `(1 + ε/(2l))^l − 1 ≤ e^{ε/2} − 1 ≤ ε` for ε ≤ 1. Our choice (the
    Frobenius step is loose by up to sqrt(d): the guarantee holds whatever the errors' signs),
    not the paper's; weights no subset brings within τ keep their exact optimum.
    """
    tw = tuple(widths)
    depth = len(tw) - 1
    widest = max(a * b for a, b in itertools.pairwise(tw))
    return eps / (2 * depth * (2 * widest) ** 0.5)


def _scaled(net: ReLUNet, factors: tuple[float, ...]) -> ReLUNet:
    return ReLUNet(tuple(w * f for w, f in zip(net.weights, factors, strict=True)))


def run(
    target: ReLUNet | None = None,
    *,
    widths: Sequence[int] | None = None,
    eps: float = 0.01,
    delta: float = 0.01,
    construction: str = "pensia",
    n: int | Sequence[int] | None = None,
    C: float | None = None,
    solver: str = "exact",
    seed: int = 0,
    rescale: bool = False,
    device: str = "cpu",
    dtype: str = "float64",
    empirical_samples: int = 4096,
    ascent_steps: int = 100,
    weight_tolerance: float | None = None,
) -> RunResult:
    """Sample the construction's random network, prune it to approximate `target`, and measure.

    `target` or `widths` (a random target with Uniform[-1,1] entries scaled to `||W_i||_2 = 1`,
    drawn from `seed`, then scaled down to the boundary of the construction's class where that
    class is smaller). `n`: samples per weight (one int for all layers, or one per layer);
    None takes the theorem's formula with constant `C`. `rescale`: scale each layer that breaks the
    construction's assumptions down into its class (Pensia's: divide by the spectral norm; the
    factors are reported) instead of refusing it.

    `weight_tolerance` (solver ``fewest`` only): each weight keeps the sparsest subset whose
    error is at most this. None takes `default_weight_tolerance(widths, eps)`,
    `ε / (2 l sqrt(2 max_i d_{i-1} d_i))`, which keeps the certified error ≤ ε wherever every
    weight reaches it (see there).
    """
    t_start = time.perf_counter()
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_int("empirical_samples", empirical_samples)
    if dtype not in DTYPES:
        raise InvalidArgument(f"dtype={dtype!r} is not one of {sorted(DTYPES)}")
    try:
        torch_device = torch.device(device)
    except RuntimeError as e:
        raise InvalidArgument(f"device={device!r} is not a torch device: {e}") from None
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgument(f"device={device!r}: CUDA is not available on this machine")
    cons = get_construction(construction)
    if solver not in SOLVERS:
        raise InvalidArgument(f"solver={solver!r} is not one of {list(SOLVERS)}")
    if solver != "fewest" and weight_tolerance is not None:
        raise InvalidArgument(
            f"weight_tolerance={weight_tolerance!r} is only used by solver='fewest', not {solver!r}"
        )
    seed_target, seed_random, seed_empirical = spawn_seeds(seed, 3)
    torch_dtype = DTYPES[dtype]

    if (target is None) == (widths is None):
        raise InvalidArgument("give exactly one of target= and widths=")
    if target is None:
        tw = tuple(widths)
        if len(tw) < 2 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in tw):
            raise InvalidArgument(f"widths={list(tw)} must be >= 2 positive integers")
    else:
        tw = target.widths

    # Size and refuse before drawing anything: a too-large request fails in milliseconds.
    C = cons.default_C if C is None else C
    theorem_n = cons.size(tw, eps, delta, C)
    if n is None:
        n_used, n_source = theorem_n, f"theorem formula, C={C:g}"
    else:
        n_used, n_source = _parse_n(n, len(tw) - 1), "user"
    limit = max_coefficients(solver)
    size = max(cons.instance_size(k) for k in n_used)
    if limit is not None and size > limit:
        raise InvalidArgument(
            f"n={list(n_used)} gives subset-sum instances of up to {size} coefficients; "
            f"solver={solver!r} handles at most {limit} (lower n or eps, or pick another solver)"
        )
    random_widths = cons.random_widths(tw, n_used)
    random_params = sum(a * b for a, b in itertools.pairwise(random_widths))
    itemsize = torch.empty((), dtype=torch_dtype).element_size()
    if random_params * (itemsize + 1) > MAX_RANDOM_NET_BYTES:
        raise InvalidArgument(
            f"n={list(n_used)} for widths {list(tw)} needs a random net of {random_params:,} "
            f"weights (> {MAX_RANDOM_NET_BYTES / 2**30:.0f} GiB with masks); lower n or widths"
        )
    if solver == "fewest" and weight_tolerance is None:
        weight_tolerance = default_weight_tolerance(tw, eps)
    theorem_widths = cons.random_widths(tw, theorem_n)
    theorem_params = sum(a * b for a, b in itertools.pairwise(theorem_widths))

    if target is None:
        target = random_target(
            tw, generator=torch.Generator().manual_seed(seed_target), dtype=torch.float64
        )
        # drawn at ||W_i||_2 = 1; a construction with further assumptions (Malach's entry
        # bound) scales its layers down to the boundary of its own class
        if cons.check_target(target):
            target = _scaled(target, cons.rescale_factors(target))
    target = target.to(device=torch_device, dtype=torch_dtype)

    rescale_factors = None
    violations = cons.check_target(target)
    if violations and rescale:
        rescale_factors = cons.rescale_factors(target)
        target = _scaled(target, rescale_factors)
        violations = cons.check_target(target)
    if violations:
        detail = "; ".join(v.message for v in violations)
        raise TargetAssumptionError(
            f"target breaks the assumptions of {cons.theorem.citation}: {detail} "
            "(pass rescale=True / --rescale to scale such layers down into the class)"
        )

    phases: dict[str, float] = {}
    t = time.perf_counter()
    random_net = cons.sample(
        tw,
        n_used,
        generator=torch.Generator().manual_seed(seed_random),
        device=torch_device,
        dtype=torch_dtype,
    )
    phases["sample"] = time.perf_counter() - t

    t = time.perf_counter()
    pruned = cons.prune(target, random_net, solver=solver, tolerance=weight_tolerance)
    phases["prune"] = time.perf_counter() - t

    t = time.perf_counter()
    cert = certified_error(target, pruned.layers)
    phases["certify"] = time.perf_counter() - t

    t = time.perf_counter()
    emp = empirical_error(
        target.forward,
        masked_forward(random_net, pruned.masks),
        tw[0],
        generator=torch.Generator().manual_seed(seed_empirical),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        dtype=torch_dtype,
        device=torch_device,
    )
    phases["empirical"] = time.perf_counter() - t

    return RunResult(
        construction=cons.name,
        theorem=cons.theorem.citation,
        target_widths=tw,
        target_depth=target.depth,
        target_params=target.n_params,
        random_widths=random_widths,
        random_depth=random_net.depth,
        n_per_layer=n_used,
        n_source=n_source,
        C=C if n is None else None,
        theorem_n_per_layer=theorem_n,
        random_params=random_params,
        theorem_random_params=theorem_params,
        kept_params=pruned.masks.n_kept,
        kept_per_layer=pruned.masks.n_kept_per_layer(),
        density=pruned.masks.density,
        n_instances=pruned.n_instances,
        search=pruned.search,
        max_weight_error=pruned.max_weight_error(target),
        certified_error=cert.value,
        certified_layer_errors=cert.layer_errors,
        empirical_error=emp.value,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        eps=eps,
        delta=delta,
        certified_within_eps=cert.value <= eps,
        empirical_within_eps=emp.value <= eps,
        lower_bound_params_per_layer=tuple(
            packing_lower_bound_params(d_out, d_in, eps) for d_in, d_out in itertools.pairwise(tw)
        ),
        rescale_factors=rescale_factors,
        seed=seed,
        solver=solver,
        weight_tolerance=weight_tolerance,
        device=str(torch_device),
        dtype=dtype,
        seconds=time.perf_counter() - t_start,
        phase_seconds=phases,
        versions={
            "approx": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        artifacts=Artifacts(target=target, random_net=random_net, pruned=pruned),
    )
