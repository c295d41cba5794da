"""The comparison `approx search` prints: the construction's masks, the empty masks and every
search's masks on one random network, each measured the same way (certified bound where the
masks have the half-line form, empirical estimate always)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from ...basics import defaults
from ...basics.devices import available_memory
from ...basics.errors import (
    InvalidArgument,
    as_tuple,
    check_positive_int,
    check_positive_number,
)
from ...basics.loading import TargetLike, as_network
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.sampling import spawn_seeds
from ...basics.units import format_bytes
from ...constructions import HalfLineLayer, get_construction
from ...measurement.certified import certified_error
from ...measurement.empirical import empirical_error
from ..plan import plan_run
from ..result import RunResult
from ..run import run
from . import METHODS, search


def half_line_layers(random_net: Network, masks: Masks) -> tuple[HalfLineLayer, ...] | None:
    """The masked net as half-line layers `(P_i, N_i)` when every kept hidden unit of every
    pair keeps at most one input edge (then pair i computes exactly `P σ(h) − N σ(−h)` with
    `P = Be σ(Ae)`, `N = Be min(Ae, 0)`), else None: no certified bound applies."""
    masks.check_fits(random_net)
    layers = []
    for i in range(random_net.depth // 2):
        A = random_net.weights[2 * i] * masks.masks[2 * i]  # (h, d_in)
        B = random_net.weights[2 * i + 1] * masks.masks[2 * i + 1]  # (d_out, h)
        if bool((masks.masks[2 * i].sum(1) > 1).any()):
            return None
        layers.append(HalfLineLayer(P=B @ A.clamp(min=0), N=B @ A.clamp(max=0)))
    return tuple(layers)


@dataclass(frozen=True)
class Row:
    """One set of masks on the shared random network, measured like `approx run` measures."""

    method: str
    kept: int
    density: float
    certified_error: float | None
    empirical_error: float
    seconds: float


@dataclass(frozen=True)
class Comparison:
    """Constructive masks vs searches at equal random-net width; `rows[0]` is the empty mask
    (the zero function: the error of giving up), `rows[1]` the construction. `run` is the
    `RunResult` that drew the target and the network."""

    rows: tuple[Row, ...]
    construction: str
    target_widths: tuple[int, ...]
    random_widths: tuple[int, ...]
    n_per_layer: tuple[int, ...]
    seed: int
    config: dict
    run: RunResult | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {
            "construction": self.construction,
            "target_widths": list(self.target_widths),
            "random_widths": list(self.random_widths),
            "n_per_layer": list(self.n_per_layer),
            "seed": self.seed,
            "config": self.config,
            "rows": [r.__dict__ for r in self.rows],
        }


def measure(
    target: Network,
    random_net: Network,
    masks: Masks,
    *,
    method: str,
    seconds: float,
    seed: int,
    empirical_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
) -> Row:
    """Certified bound (when the masks have the half-line form) and empirical estimate, the
    latter from `seed` so that every row is probed at the same points."""
    layers = half_line_layers(random_net, masks)
    cert = None if layers is None else certified_error(target, layers).value
    emp = empirical_error(
        target.forward,
        masks.apply(random_net).forward,
        target.widths[0],
        generator=torch.Generator().manual_seed(seed),
        n_samples=empirical_samples,
        ascent_steps=ascent_steps,
        dtype=random_net.dtype,
        device=random_net.device,
    )
    return Row(method, masks.n_kept, masks.density, cert, emp.value, seconds)


def check_depth_2l(construction: str, shape: tuple[int, ...]) -> None:
    """Refuse a construction whose random network for a target of widths `shape` is not the
    depth-2l layout the searches pair (a shape that is no target's is left to `run` to refuse)."""
    shape = as_tuple("widths", shape, "a list of positive integers")
    if len(shape) < 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in shape):
        return
    depth = len(shape) - 1
    layout = get_construction(construction).random_widths(shape, (1,) * depth)
    if len(layout) - 1 != 2 * depth:
        raise InvalidArgument(
            f"construction={construction!r}: the searches pair the layers of a depth-2l random "
            f"network; its layout has depth {len(layout) - 1} for a depth-{depth} target"
        )


def search_memory_bytes(
    random_widths: Sequence[int], methods: Sequence[str], itemsize: int, samples: int
) -> int:
    """Peak bytes the searches add to a run's: edge-popup holds ~10 copies of the random
    network (scores, Adam's two moments, gradients, the masked weights and their
    straight-through temporaries) and a batch's activations; greedy holds, per layer pair,
    ~4 `(samples, hidden, d_in)` temporaries (every input edge's effect at every point)."""
    layers = list(itertools.pairwise(random_widths))
    P = sum(a * b for a, b in layers)
    need = 0
    if "edge-popup" in methods:
        batch = max(defaults.EDGE_POPUP_BATCH, defaults.EDGE_POPUP_EVAL_SAMPLES)
        need = max(need, 10 * P * itemsize + 3 * batch * sum(random_widths) * itemsize)
    if "greedy" in methods:
        widest_in = max(a * b for a, b in layers[0::2])  # the (hidden, d_in) layers
        need = max(need, 4 * samples * widest_in * itemsize)
    return need


def _check_search_memory(plan, methods, samples) -> None:
    itemsize = torch.empty((), dtype=plan.dtype).element_size()
    extra = search_memory_bytes(plan.random_widths, methods, itemsize, samples)
    total = plan.estimate.peak_bytes + extra
    free = available_memory(plan.device)
    if free is not None and total > free:
        raise InvalidArgument(
            f"this search needs about {format_bytes(total)} at its peak (the run "
            f"{format_bytes(plan.estimate.peak_bytes)}, the searches {format_bytes(extra)}) "
            f"but {format_bytes(free)} is available; lower n={list(plan.n)} or the widths, or "
            "samples= (greedy's points)"
        )


def _check_before_run(
    target, widths, construction, n, methods, seed, density, steps, lr, samples, max_steps,
    empirical_samples, ascent_steps,
) -> None:  # fmt: skip
    """Every option of `compare`, and the memory of the run and the searches together, checked
    before the run draws anything (the searches check their options again)."""
    for m in as_tuple("methods", methods, "a list of method names"):
        if m not in defaults.SEARCH_METHODS:
            raise InvalidArgument(
                f"method={m!r} is not one of {list(defaults.SEARCH_METHODS)}"
                + (" (approx compare runs it)" if m in METHODS else "")
            )
    if isinstance(density, bool) or not isinstance(density, float) or not 0 < density <= 1:
        raise InvalidArgument(f"density={density!r} must be a float in (0, 1]")
    check_positive_int("steps", steps)
    check_positive_number("lr", lr)
    check_positive_int("samples", samples)
    check_positive_int("max_steps", max_steps)
    plan = plan_run(
        target,
        None if target is not None else widths,
        eps=defaults.EPS,
        delta=defaults.DELTA,
        construction=construction,
        n=n,
        C=None,
        solver=defaults.SOLVER,
        seed=seed,
        device=defaults.DEVICE,
        dtype=defaults.DTYPE,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        weight_tolerance=None,
    )
    check_depth_2l(construction, plan.target_widths)
    _check_search_memory(plan, methods, samples)


def _refuse_convolutions(target: Network | None) -> None:
    """The searches and `measure` work on dense networks: refuse a convolutional target,
    naming its first convolution."""
    if target is not None and not target.is_dense:
        i, layer = next((i, x) for i, x in enumerate(target.layers, 1) if x.kind != "dense")
        raise InvalidArgument(
            f"target: layer {i} ({layer.describe()}) is a convolution; the searches cover dense "
            "targets only (run --construction cnn prunes a convolutional target)"
        )


def compare(
    *,
    widths: Sequence[int] | None = None,
    construction: str = defaults.CONSTRUCTION,
    n: int | Sequence[int] = defaults.SEARCH_N,
    methods: Sequence[str] = defaults.SEARCH_METHODS,
    seed: int = defaults.SEED,
    density: float = defaults.EDGE_POPUP_DENSITY,
    steps: int = defaults.EDGE_POPUP_STEPS,
    lr: float = defaults.EDGE_POPUP_LR,
    samples: int = defaults.GREEDY_SAMPLES,
    max_steps: int = defaults.GREEDY_MAX_STEPS,
    empirical_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    target: TargetLike | None = None,
    rescale: bool = False,
) -> Comparison:
    """`run` draws the target (or takes `target`, anything `run` takes, instead of `widths`;
    `rescale` as there) and the construction's random network from `seed` and prunes it;
    every method in `methods` then searches the same network, and every set of masks is
    measured the same way (`measure`). A convolutional target is refused (InvalidArgument
    naming its first convolution): the searches and `measure` work on dense networks."""
    if target is None and widths is None:
        widths = defaults.SEARCH_WIDTHS
    target = None if target is None else as_network(target)
    _refuse_convolutions(target)
    _check_before_run(
        target, widths, construction, n, methods, seed, density, steps, lr, samples, max_steps,
        empirical_samples, ascent_steps,
    )  # fmt: skip
    result = run(
        target,
        rescale=rescale,
        widths=widths,
        construction=construction,
        n=n,
        seed=seed,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
    )
    art = result.artifacts
    (eval_seed,) = spawn_seeds(seed + 1, 1)

    def row(masks: Masks, method: str, seconds: float) -> Row:
        return measure(
            art.target,
            art.random_net,
            masks,
            method=method,
            seconds=seconds,
            seed=eval_seed,
            empirical_samples=empirical_samples,
            ascent_steps=ascent_steps,
        )

    empty = Masks(tuple(torch.zeros_like(w, dtype=torch.bool) for w in art.random_net.weights))
    rows = [
        row(empty, "empty masks", 0.0),
        row(art.pruned.masks, f"construction ({construction})", result.phase_seconds["prune"]),
    ]
    options = {
        "edge-popup": {"density": density, "steps": steps, "lr": lr},
        "greedy": {"samples": samples, "max_steps": max_steps},
    }
    for m in methods:
        found = search(art.target, art.random_net, method=m, seed=seed, **options[m])
        rows.append(row(found.masks, m, found.seconds))
    return Comparison(
        rows=tuple(rows),
        construction=construction,
        target_widths=result.target_widths,
        random_widths=result.random_widths,
        n_per_layer=result.n_per_layer,
        seed=seed,
        config={"methods": list(methods), **{m: options[m] for m in methods}},
        run=result,
    )
