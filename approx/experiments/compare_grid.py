"""The "compare" grid points of a sweep: one method of `approx compare` per point, so that a
sweep varies the method (and its budget, the target, the width, the seed) and the store keeps
each `Benchmark.to_json()`.

A `[compare]` table's axes (a scalar or a list each): `method` (names of
`approx.pipeline.search.METHODS`, or "all"), `target` ("random", "relu-chain", "circle"),
`widths` (one list `[d_0, ..., d_l]` or a list of them; random targets), `n`, `density` (the
budget of the methods that keep one, who get one point per density; absent: the
construction's density), `seed`,
`construction`. Fixed settings: `planted` (true/false), `depth` (relu-chain), `directions`
(circle), `empirical_samples`, `ascent_steps`.
"""

from __future__ import annotations

import itertools
from typing import Any

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..constructions import CONSTRUCTIONS
from ..pipeline.search import METHODS, TAKES_DENSITY

COMPARE_DEFAULTS: dict[str, Any] = {
    "planted": False,
    "depth": defaults.COMPARE_DEPTH,
    "directions": defaults.CIRCLE_DIRECTIONS,
    "empirical_samples": defaults.SWEEP_EMPIRICAL_SAMPLES,
    "ascent_steps": defaults.SWEEP_ASCENT_STEPS,
}
_AXES = {"method", "target", "widths", "n", "density", "seed", "construction"}


def _list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _names(key: str, value: Any, allowed, everything: str | None = None) -> list[str]:
    names = _list(value)
    if everything is not None and names == [everything]:
        return list(allowed)
    for name in names:
        if name not in allowed:
            raise InvalidArgument(f"{key}={name!r} is not one of {sorted(allowed)}")
    return names


def _positive_ints(key: str, value: Any, minimum: int = 1) -> list[int]:
    out = _list(value)
    if not out or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in out):
        raise InvalidArgument(f"{key}={value!r}: every entry must be an integer >= {minimum}")
    return out


def compare_points(table: dict) -> list[dict]:
    """The grid points of a `[compare]` table (module docstring), in grid order."""
    allowed = _AXES | set(COMPARE_DEFAULTS)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidArgument(f"[compare] has unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    methods = _names("method", table.get("method", "all"), METHODS, everything="all")
    targets = _names(
        "target", table.get("target", defaults.COMPARE_TARGET), defaults.COMPARE_TARGETS
    )
    constructions = _names(
        "construction", table.get("construction", defaults.CONSTRUCTION), CONSTRUCTIONS
    )
    raw = table.get("widths", list(defaults.COMPARE_WIDTHS))
    shapes = [raw] if raw and not isinstance(raw[0], (list, tuple)) else raw
    shapes = [_positive_ints("widths", s) for s in shapes]
    if not shapes or any(len(s) < 2 for s in shapes):
        raise InvalidArgument(f"widths={raw!r}: each target needs >= 2 widths")
    ns = _positive_ints("n", table.get("n", defaults.COMPARE_N))
    seeds = _positive_ints("seed", table.get("seed", 0), minimum=0)
    densities = [None]
    if "density" in table:
        densities = _list(table["density"])
        for d in densities:
            if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 < d <= 1:
                raise InvalidArgument(f"density={table['density']!r}: entries must be in (0, 1]")
        densities = [float(d) for d in densities]
    fixed = {**COMPARE_DEFAULTS, **{k: table[k] for k in COMPARE_DEFAULTS if k in table}}
    if not isinstance(fixed["planted"], bool):
        raise InvalidArgument(f"planted={fixed['planted']!r} must be true or false")
    for key in ("depth", "directions", "empirical_samples"):
        _positive_ints(key, fixed[key])
    _positive_ints("ascent_steps", fixed["ascent_steps"], minimum=0)
    points = []
    for m, t, c, s, n, d, seed in itertools.product(
        methods, targets, constructions, shapes, ns, densities, seeds
    ):
        if t != "random" and len(shapes) > 1 and s != shapes[0]:
            continue  # a built-in target ignores widths: one point, not one per shape
        if m not in TAKES_DENSITY and d != densities[0]:
            continue  # a method without a budget: one point, not one per density
        d = d if m in TAKES_DENSITY else None
        points.append(
            {
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
        )
    return points
