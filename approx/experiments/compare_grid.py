"""The "compare" grid points of a sweep: one method of `approx compare` per point, so that a
sweep varies the method (and its budget, the target, the width, the seed) and the store keeps
each `Benchmark.to_json()`.

A `[compare]` table's axes (a scalar or a list each): `method` (names of
`approx.pipeline.search.METHODS`, or "all"), `target` ("random", "relu-chain", "circle"),
`widths` (one list `[d_0, ..., d_l]` or a list of them; random targets), `n`, `density` (the
budget of the methods that keep one, who get one point per density; absent: the
construction's density), `seed`, `construction`. Fixed settings: `planted` (true/false),
`depth` (relu-chain), `directions` (circle), `empirical_samples`, `ascent_steps`.

Not every combination is a point: a method without a budget gets one point, not one per
density, and a built-in target one, not one per `widths`. So the table is one `Grid` per method
(methods with and without a budget have different axes), each counted from its axes before
any point is built, like every grid of a sweep.
"""

from __future__ import annotations

from typing import Any

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..constructions import CONSTRUCTIONS
from ..pipeline.search import METHODS, TAKES_DENSITY
from .axes import Grid, as_list, bools, check_keys, choices, floats, ints, shown, target_shapes

COMPARE_DEFAULTS: dict[str, Any] = {
    "planted": False,
    "depth": defaults.COMPARE_DEPTH,
    "directions": defaults.CIRCLE_DIRECTIONS,
    "empirical_samples": defaults.SWEEP_EMPIRICAL_SAMPLES,
    "ascent_steps": defaults.SWEEP_ASCENT_STEPS,
}
_AXES = {"method", "target", "widths", "n", "density", "seed", "construction"}


def _one(key: str, values: list) -> Any:
    if len(values) != 1:
        raise InvalidArgument(
            f"{key}={shown(values)} is a fixed setting: give one value, not a list"
        )
    return values[0]


def _fixed(table: dict) -> dict:
    """The fixed settings, one checked value each."""
    get = {k: table.get(k, v) for k, v in COMPARE_DEFAULTS.items()}
    return {
        "planted": _one("planted", bools("planted", get["planted"])),
        "depth": _one("depth", ints("depth", get["depth"])),
        "directions": _one("directions", ints("directions", get["directions"])),
        "empirical_samples": _one(
            "empirical_samples", ints("empirical_samples", get["empirical_samples"])
        ),
        "ascent_steps": _one("ascent_steps", ints("ascent_steps", get["ascent_steps"], 0)),
    }


def compare_grids(table: dict) -> list[Grid]:
    """The grids of a `[compare]` table (module docstring), one per method, in method order;
    every value checked, no point built."""
    check_keys("compare", table, _AXES | set(COMPARE_DEFAULTS))
    methods = as_list("method", table.get("method", "all"))
    methods = list(METHODS) if methods == ["all"] else choices("method", methods, METHODS)
    targets = choices(
        "target", table.get("target", defaults.COMPARE_TARGET), defaults.COMPARE_TARGETS
    )
    constructions = choices(
        "construction", table.get("construction", defaults.CONSTRUCTION), CONSTRUCTIONS
    )
    shapes = target_shapes({"widths": table.get("widths", list(defaults.COMPARE_WIDTHS))})
    # (target, widths): a random target per shape; a built-in target ignores widths
    targets_shapes = tuple(
        (t, s) for t in targets for s in (shapes if t == "random" else shapes[:1])
    )
    ns = tuple(ints("n", table.get("n", defaults.COMPARE_N)))
    seeds = tuple(ints("seed", table.get("seed", 0), minimum=0))
    densities: tuple = (None,)
    if "density" in table:
        densities = tuple(floats("density", table["density"], 0.0, None))
        if max(densities) > 1:
            raise InvalidArgument(f"density={shown(table['density'])}: entries must be in (0, 1]")
    fixed = _fixed(table)

    def build(combo: tuple) -> dict:
        m, (t, s), c, n, d, seed = combo
        return {
            "kind": "compare",
            "method": m,
            "target": t,
            "construction": c,
            "widths": list(s),
            "n": n,
            "density": d,
            "seed": seed,
            **fixed,
        }

    grids = []
    for m in methods:
        budgets = densities if m in TAKES_DENSITY else (None,)
        axes = (
            ("method", (m,)),
            ("target", targets_shapes),
            ("construction", tuple(constructions)),
            ("n", ns),
            ("density", budgets),
            ("seed", seeds),
        )
        grids.append(Grid(axes, build))
    return grids
