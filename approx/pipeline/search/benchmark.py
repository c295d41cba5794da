"""The comparison `approx compare` prints: every registered method and every construction on one
target and one random network, optionally with a ticket planted in it, each measured the same
way.

`benchmark` draws the target and the construction's random network exactly as `approx run`
does (same seed, same network), optionally plants the target's half-line ticket in it
(`approx.pipeline.search.planted`), prunes it with every construction of the same layout, and
runs each method of `approx.pipeline.search.SEARCHES` on it. The methods with a budget keep,
in every layer, the construction's density (or each of `densities`), so that the table answers
"how many parameters does a trained sparse network, or a searched mask, need for the error of
the pruned random one?". Every row gets the empirical error (the same sphere points and ascent
for every row) and the certified bound where its kept hidden units keep one input edge each
(`half_line_layers`); the trained baselines are measured on their trained weights, which the
certified bound covers too when they have that form.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch

from ...basics import defaults
from ...basics.errors import InvalidArgument, as_tuple
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.sampling import spawn_seeds
from ...constructions import CONSTRUCTIONS
from ..plan import plan_run
from ..result import RunResult
from ..run import run
from . import METHODS, TAKES_DENSITY, search
from .compare import check_depth_2l, measure
from .cost import search_seconds
from .planted import circle, half_line_ticket, overlap, plant, relu_chain
from .training import check_density

OUTSIDE_FORM = "none: masks outside the construction's form"


@dataclass(frozen=True)
class MethodRow:
    """One method's result on the shared network. `kind`: "masks" (a subnetwork of the random
    network, its weights unchanged) or "trained" (changed weights on `kept` nonzero entries).
    `budget`: the density it was asked to keep in every layer (None: its own choice).
    `precision`, `recall`: overlap of its kept weights with the planted ticket's."""

    method: str
    kind: str
    budget: float | None
    kept: int
    density: float
    certified_error: float | None
    empirical_error: float
    seconds: float
    precision: float | None = None
    recall: float | None = None
    note: str | None = None

    def to_json(self) -> dict:
        out = asdict(self)
        out["certified_note"] = None if self.certified_error is not None else OUTSIDE_FORM
        return out


@dataclass(frozen=True)
class Benchmark:
    """Every method beside the constructions on one target and one random network."""

    rows: tuple[MethodRow, ...]
    target: str
    construction: str
    target_widths: tuple[int, ...]
    random_widths: tuple[int, ...]
    n_per_layer: tuple[int, ...]
    seed: int
    planted: bool
    densities: tuple[float, ...]
    device: str
    config: dict
    run: RunResult | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        return {
            "target": self.target,
            "construction": self.construction,
            "target_widths": list(self.target_widths),
            "random_widths": list(self.random_widths),
            "n_per_layer": list(self.n_per_layer),
            "seed": self.seed,
            "planted": self.planted,
            "densities": list(self.densities),
            "device": self.device,
            "config": self.config,
            "rows": [r.to_json() for r in self.rows],
        }


def builtin_target(name: str, *, depth: int, directions: int) -> Network | None:
    """The target named `name`: None for "random" (drawn by the run from its seed), the ReLU
    chain of `depth` layers, or the circle ticket with `directions` directions."""
    if name == "random":
        return None
    if name == "relu-chain":
        return relu_chain(depth)
    if name == "circle":
        return circle(directions)
    raise InvalidArgument(f"target={name!r} is not one of {list(defaults.COMPARE_TARGETS)}")


def _methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(methods, str) and methods == "all":
        return METHODS
    names = as_tuple("methods", methods, "'all' or a list of method names")
    for m in names:
        if m not in METHODS:
            raise InvalidArgument(f"method={m!r} is not one of {list(METHODS)} (or 'all')")
    return names


def _checked(methods, options, densities):
    names = _methods(methods)
    if options is not None and not isinstance(options, dict):
        raise InvalidArgument(f"options={options!r} must be a dict: method -> its options")
    options = dict(options or {})
    unknown = sorted(set(options) - set(METHODS), key=repr)
    if unknown:
        raise InvalidArgument(f"options for unknown method(s) {unknown}")
    for m, opts in options.items():
        if not isinstance(opts, dict):
            raise InvalidArgument(f"options[{m!r}]={opts!r} must be a dict of keyword arguments")
    if densities is not None:
        densities = as_tuple("densities", densities, "a list of densities in (0, 1]")
        densities = tuple(check_density(d) for d in densities)
        if not densities:
            raise InvalidArgument("densities=[] is empty")
    return names, options, densities


class _Measurer:
    """Measures every row the same way: the certified bound where the masks allow it, the
    empirical error from one seed (the same points for every row), the overlap with the
    planted ticket (if any)."""

    def __init__(self, target, net, ticket, seed, empirical_samples, ascent_steps) -> None:
        self.target, self.net, self.ticket = target, net, ticket
        (self.seed,) = spawn_seeds(seed + 1, 1)
        self.samples, self.ascent_steps = empirical_samples, ascent_steps

    def row(
        self,
        masks: Masks,
        method: str,
        seconds: float,
        *,
        kind="masks",
        budget=None,
        on: Network | None = None,
        note=None,
    ) -> MethodRow:
        m = measure(
            self.target,
            on or self.net,
            masks,
            method=method,
            seconds=seconds,
            seed=self.seed,
            empirical_samples=self.samples,
            ascent_steps=self.ascent_steps,
        )
        precision, recall = overlap(masks, self.ticket.masks) if self.ticket else (None, None)
        return MethodRow(
            method,
            kind,
            budget,
            m.kept,
            m.density,
            m.certified_error,
            m.empirical_error,
            seconds,
            precision,
            recall,
            note,
        )


def _construction_rows(result: RunResult, net: Network, planted: bool, row) -> list[MethodRow]:
    """The masks of every construction whose layout is the random network's, the run's own
    construction first (its masks reused unless a ticket was planted); a construction whose
    masks are an earlier one's (CNN's on a dense target: Pensia's pairs) is not repeated."""
    art = result.artifacts
    names = sorted(CONSTRUCTIONS, key=lambda name: name != result.construction)
    sampler = type(CONSTRUCTIONS[result.construction]).sample
    out: list[MethodRow] = []
    seen: list[Masks] = []
    for name in names:
        cons = CONSTRUCTIONS[name]
        if cons.random_widths(result.target_widths, result.n_per_layer) != result.random_widths:
            continue
        if name == result.construction and not planted:
            pruned, seconds = art.pruned, result.phase_seconds["prune"]
        else:
            t = time.perf_counter()
            pruned = cons.prune(
                art.target, net, solver=result.solver, tolerance=result.weight_tolerance
            )
            seconds = time.perf_counter() - t
        if any(_same(pruned.masks, m) for m in seen):
            continue
        seen.append(pruned.masks)
        violations = cons.check_target(art.target)
        notes = [f"target outside its class: {violations[0].message}"] if violations else []
        if type(cons).sample is not sampler:  # same layout, another distribution (Orseau's)
            notes.append(
                f"its theorem draws its own random network; this one is {result.construction}'s"
            )
        out.append(
            row(pruned.masks, f"construction ({name})", seconds, note="; ".join(notes) or None)
        )
    return out


def _same(a: Masks, b: Masks) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.masks, b.masks, strict=True))


def benchmark(
    *,
    target: str = defaults.COMPARE_TARGET,
    widths: Sequence[int] = defaults.COMPARE_WIDTHS,
    depth: int = defaults.COMPARE_DEPTH,
    directions: int = defaults.CIRCLE_DIRECTIONS,
    construction: str = defaults.CONSTRUCTION,
    n: int | Sequence[int] = defaults.COMPARE_N,
    methods: str | Sequence[str] = "all",
    seed: int = defaults.SEED,
    densities: Sequence[float] | None = None,
    planted: bool = False,
    device: str = defaults.DEVICE,
    empirical_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
    options: dict[str, dict] | None = None,
    progress: bool = False,
) -> Benchmark:
    """Run `methods` ("all" or names of `METHODS`) beside the constructions (module
    docstring). `target`: "random" (of `widths`), "relu-chain" (of `depth` layers) or
    "circle" (`directions` directions). `densities`: the budgets of the methods that keep one
    (default: the construction's density). `planted`: plant the target's half-line ticket in
    the random network first and report each row's overlap with it. `options`: per method,
    keyword arguments for its function (e.g. `{"imp": {"steps": 100}}`)."""
    names, options, densities = _checked(methods, options, densities)
    fixed = builtin_target(target, depth=depth, directions=directions)
    check_depth_2l(construction, widths if fixed is None else fixed.widths)
    result = run(
        fixed,
        widths=None if fixed is not None else widths,
        construction=construction,
        n=n,
        seed=seed,
        device=device,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
    )
    tgt, net = result.artifacts.target, result.artifacts.random_net
    ticket = plant(half_line_ticket(tgt), net) if planted else None
    measured = _Measurer(
        tgt, ticket.net if ticket else net, ticket, seed, empirical_samples, ascent_steps
    )
    net = measured.net
    empty = Masks(tuple(torch.zeros_like(w, dtype=torch.bool) for w in net.weights))
    rows = [measured.row(empty, "empty masks", 0.0)]
    if ticket is not None:
        rows.append(measured.row(ticket.masks, "planted ticket", 0.0))
    built = _construction_rows(result, net, planted, measured.row)
    rows += built
    budgets = densities or (built[0].density,)
    for m in names:
        for b in budgets if m in TAKES_DENSITY else (None,):
            opts = {**options.get(m, {}), "progress": progress}
            if b is not None:
                opts["density"] = b
            found = search(tgt, net, method=m, seed=seed, **opts)
            kind = "masks" if found.network is None else "trained"
            rows.append(
                measured.row(found.masks, m, found.seconds, kind=kind, budget=b, on=found.network)
            )
    return Benchmark(
        rows=tuple(rows),
        target=target,
        construction=construction,
        target_widths=result.target_widths,
        random_widths=result.random_widths,
        n_per_layer=result.n_per_layer,
        seed=seed,
        planted=planted,
        densities=tuple(budgets),
        device=str(net.device),
        config={"methods": list(names), "options": options},
        run=result,
    )


def estimate_seconds(
    *,
    target: str = defaults.COMPARE_TARGET,
    widths: Sequence[int] = defaults.COMPARE_WIDTHS,
    depth: int = defaults.COMPARE_DEPTH,
    directions: int = defaults.CIRCLE_DIRECTIONS,
    construction: str = defaults.CONSTRUCTION,
    n: int | Sequence[int] = defaults.COMPARE_N,
    methods: str | Sequence[str] = "all",
    densities: Sequence[float] | None = None,
    planted: bool = False,
    empirical_samples: int = defaults.EMPIRICAL_SAMPLES,
    ascent_steps: int = defaults.ASCENT_STEPS,
) -> float:
    """Estimated CPU seconds of `benchmark(...)` with these arguments (and default method
    options) on one thread, from its arguments alone: the run's estimate
    (`approx.pipeline.estimate`), the other constructions' pruning and every row's empirical
    error at the run's rates, and each method's `search_seconds` (`approx.pipeline.search.
    cost`) at every budget it runs. Raises what `benchmark` would refuse before its run."""
    names, _, densities = _checked(methods, None, densities)
    fixed = builtin_target(target, depth=depth, directions=directions)
    check_depth_2l(construction, widths if fixed is None else fixed.widths)
    plan = plan_run(
        fixed,
        None if fixed is not None else widths,
        eps=defaults.EPS,
        delta=defaults.DELTA,
        construction=construction,
        n=n,
        C=None,
        solver=defaults.SOLVER,
        seed=defaults.SEED,
        device=defaults.DEVICE,
        dtype=defaults.DTYPE,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
        weight_tolerance=None,
    )
    est = plan.estimate
    # every budget of a method that keeps one (None: the construction's, known after its run)
    budgets = {m: (densities or (None,)) if m in TAKES_DENSITY else (None,) for m in names}
    searches = sum(
        search_seconds(m, plan.random_widths, plan.target_widths, plan.n, d)
        for m in names
        for d in budgets[m]
    )
    layout = [
        c
        for c in CONSTRUCTIONS.values()
        if c.random_widths(plan.target_widths, plan.n) == plan.random_widths
    ]
    rows = 1 + int(planted) + len(layout) + sum(len(b) for b in budgets.values())
    phases = est.phase_seconds
    return (
        est.seconds
        + (len(layout) - 1) * phases["prune"]
        + (rows - 1) * phases["empirical"]
        + searches
    )
