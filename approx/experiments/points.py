"""One grid point computed: a run, a coefficient Monte Carlo or a compare point, by its config
dict."""

from __future__ import annotations

from collections.abc import Sequence

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.network import Network
from ..basics.units import format_widths
from ..constructions import get_construction
from ..engine.subset_sum import solve_cost
from ..pipeline.plan import RunPlan, plan_run
from ..pipeline.run import run
from ..pipeline.search.benchmark import benchmark
from ..pipeline.search.benchmark import estimate_seconds as benchmark_seconds
from .conv_targets import build_conv_target
from .montecarlo import coefficient_success


def n_for_width_factor(construction: str, widths: Sequence[int], factor: float) -> int:
    """Smallest n (same for every layer) whose random net's widest hidden layer is at least
    `factor` times the target's widest layer, via the construction's own `random_widths`."""
    cons = get_construction(construction)
    widths = tuple(widths)
    want = factor * max(widths)
    for n in range(1, defaults.MAX_N + 1):
        if max(cons.random_widths(widths, (n,) * (len(widths) - 1))[1:-1]) >= want:
            return n
    raise InvalidArgument(
        f"width_factor={factor:g} needs n > {defaults.MAX_N} for widths {format_widths(widths)}"
    )


# the keys each kind of point reads (a run reads "widths" unless it has a "target")
REQUIRED_KEYS = {
    "run": ("construction", "eps", "delta", "solver", "seed", "rescale", "dtype",
            "empirical_samples", "ascent_steps"),
    "subset_sum": ("distribution", "n", "eps", "trials", "seed"),
    "compare": ("target", "widths", "depth", "directions", "construction", "n", "method",
                "density", "planted", "empirical_samples", "ascent_steps", "seed"),
}  # fmt: skip


def check_config(i: int, config) -> None:
    """`configs[i]` of a sweep: a dict of a known kind holding every key its kind reads (the
    values are checked by the computation itself, which refuses them naming the argument)."""
    if not isinstance(config, dict):
        raise InvalidArgument(f"configs[{i}] is a {type(config).__name__}, not a dict")
    kind = config.get("kind")
    if not isinstance(kind, str) or kind not in REQUIRED_KEYS:
        raise InvalidArgument(f"configs[{i}]['kind']={kind!r} is not one of {list(REQUIRED_KEYS)}")
    need = REQUIRED_KEYS[kind] + (("widths",) if kind == "run" and "target" not in config else ())
    missing = [k for k in need if k not in config]
    if missing:
        raise InvalidArgument(f"configs[{i}] (kind {kind!r}) lacks {missing}")


def evaluate(config: dict) -> dict:
    """Compute one grid point; the JSON dict the store keeps. Raises what the run raises."""
    if config["kind"] == "run":
        target, widths, common = _run_inputs(config)
        return run(
            target,
            widths=widths,
            rescale=config["rescale"],
            **common,
            **{k: config[k] for k in ("error", "sandwich_boxes") if k in config},
        ).to_json()
    if config["kind"] == "subset_sum":
        return coefficient_success(
            config["distribution"],
            config["n"],
            config["eps"],
            trials=config["trials"],
            seed=config["seed"],
        ).to_json()
    if config["kind"] == "compare":
        return _compare(config)
    raise InvalidArgument(
        f"config kind={config.get('kind')!r} is not 'run', 'subset_sum' or 'compare'"
    )


def _benchmark_arguments(config: dict) -> dict:
    density = config["density"]
    return {
        "target": config["target"],
        "widths": config["widths"],
        "depth": config["depth"],
        "directions": config["directions"],
        "construction": config["construction"],
        "n": config["n"],
        "methods": (config["method"],),
        "densities": None if density is None else (density,),
        "planted": config["planted"],
        "empirical_samples": config["empirical_samples"],
        "ascent_steps": config["ascent_steps"],
    }


def _compare(config: dict) -> dict:
    return benchmark(seed=config["seed"], **_benchmark_arguments(config)).to_json()


# Seconds every point costs besides its computation: handing it to a worker and back, and its
# store commit (fsync'ed): 40,000 tiny points took 351 s on 2 workers, ~17 ms each.
POINT_OVERHEAD_S = 0.017


def estimate_seconds(config: dict) -> float:
    """The estimated seconds of one grid point on one thread, `POINT_OVERHEAD_S` included
    (`approx.pipeline.estimate` for a run, the solver's cost model for a Monte Carlo point,
    `approx.pipeline.search.benchmark.estimate_seconds` for a compare point)."""
    return POINT_OVERHEAD_S + _compute_seconds(config)


def _compute_seconds(config: dict) -> float:
    """0 for a point that will be refused (it costs only its overhead)."""
    try:
        if config["kind"] == "subset_sum":
            k = 2 * config["n"] if config["distribution"] == "pensia" else config["n"]
            valid = config["n"]
            return solve_cost(defaults.SOLVER, config["trials"], k, valid)[1]
        if config["kind"] == "compare":
            return benchmark_seconds(**_benchmark_arguments(config))
        plan = plan_point(config)
    except InvalidArgument:
        return 0.0
    return plan.estimate.seconds


def _run_inputs(config: dict) -> tuple[Network | None, list[int] | None, dict]:
    """A run point's target (a generated conv target, else None), widths (None with a
    target) and the arguments `run` and `plan_run` share."""
    n = config.get("n")
    if "width_factor" in config:
        n = n_for_width_factor(config["construction"], config["widths"], config["width_factor"])
    target = build_conv_target(config["target"], config["seed"]) if "target" in config else None
    common = {
        "eps": config["eps"],
        "delta": config["delta"],
        "construction": config["construction"],
        "n": n,
        "C": config.get("C"),
        "solver": config["solver"],
        "seed": config["seed"],
        "dtype": config["dtype"],
        "empirical_samples": config["empirical_samples"],
        "ascent_steps": config["ascent_steps"],
        **({"activation": config["activation"]} if config.get("activation") else {}),
    }
    return target, None if target is not None else config["widths"], common


def plan_point(config: dict) -> RunPlan:
    """A run point's plan (`approx.pipeline.plan.plan_run`): what its run would refuse
    (InvalidArgument), found in milliseconds without running it."""
    target, widths, common = _run_inputs(config)
    return plan_run(target, widths, **common, device=defaults.DEVICE, weight_tolerance=None)
