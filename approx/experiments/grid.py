"""Sweep grids: TOML tables (or flags) turned into grid points, every value checked.

A grid point is a plain JSON dict (its *config*); its row key in the store is the hash of that
dict (`approx.experiments.store.point_key`). Two kinds of point:

- "run": one `approx.pipeline.run.run(...)`; the row holds `RunResult.to_json()`.
- "subset_sum": one coefficient Monte Carlo (`approx.experiments.montecarlo`): how often the
  best subset of n random coefficients lands within eps of a Uniform[-1, 1] target.
- "compare": one method of `approx compare` beside the constructions
  (`approx.experiments.compare_grid`); the row holds `Benchmark.to_json()`.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..constructions import CONSTRUCTIONS
from .compare_grid import compare_points
from .montecarlo import DISTRIBUTIONS

RUN_DEFAULTS: dict[str, Any] = {
    "delta": defaults.DELTA,
    "solver": defaults.SOLVER,
    "dtype": defaults.DTYPE,
    "empirical_samples": defaults.SWEEP_EMPIRICAL_SAMPLES,
    "ascent_steps": defaults.SWEEP_ASCENT_STEPS,
    "rescale": False,
}
SUBSET_SUM_DEFAULTS: dict[str, Any] = {"trials": defaults.SUBSET_SUM_TRIALS}


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ints(name: str, value: Any, minimum: int = 1) -> list[int]:
    out = _as_list(value)
    for v in out:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise InvalidArgument(f"{name}={value!r}: every entry must be an integer >= {minimum}")
    if not out:
        raise InvalidArgument(f"{name}=[] is empty")
    return out


def _floats(name: str, value: Any, lo: float, hi: float | None) -> list[float]:
    out = []
    for v in _as_list(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidArgument(f"{name}={value!r}: every entry must be a finite number")
        if not (v > lo and (hi is None or v < hi)):
            rng = f"({lo:g}, {hi:g})" if hi is not None else f"> {lo:g}"
            raise InvalidArgument(f"{name}={value!r}: every entry must be {rng}")
        out.append(float(v))  # 4 and 4.0 must give one key
    if not out:
        raise InvalidArgument(f"{name}=[] is empty")
    return out


def _check_keys(section: str, table: dict, allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidArgument(
            f"[{section}] has unknown key(s) {unknown}; allowed: {sorted(allowed)}"
        )


def run_points(table: dict) -> list[dict]:
    """The "run" grid points of a `[runs]` table, in grid order.

    Axes (a scalar or a list each): `construction` (names, or "all" for every registered one),
    the target as `width` x `depth` (square hidden layers: widths `(width,) * (depth + 1)`) or
    `widths` (explicit lists `[d_0, ..., d_l]`), `eps`, exactly one of `n` (samples per weight),
    `width_factor` (random-net hidden width / target width, turned into the smallest n that
    reaches it) or `C` (n from the theorem's formula with this constant), and `seed`.
    Fixed settings: `delta`, `solver`, `dtype`, `empirical_samples`, `ascent_steps`, `rescale`.
    """
    axes = {"construction", "width", "depth", "widths", "eps", "n", "width_factor", "C", "seed"}
    _check_keys("runs", table, axes | set(RUN_DEFAULTS))
    names = _as_list(table.get("construction", "all"))
    if names == ["all"]:
        names = sorted(CONSTRUCTIONS)
    for name in names:
        if name not in CONSTRUCTIONS:
            raise InvalidArgument(f"construction={name!r} is not one of {sorted(CONSTRUCTIONS)}")
    if "widths" in table:
        if "width" in table or "depth" in table:
            raise InvalidArgument("give the target as widths= or as width= and depth=, not both")
        raw = table["widths"]
        shapes = [raw] if raw and not isinstance(raw[0], (list, tuple)) else raw
        shapes = [tuple(_ints("widths", s)) for s in shapes]
        if any(len(s) < 2 for s in shapes):
            raise InvalidArgument(f"widths={raw!r}: each target needs >= 2 widths")
    else:
        shapes = [
            (w,) * (d + 1)
            for w, d in itertools.product(
                _ints("width", table.get("width", 4)), _ints("depth", table.get("depth", 2))
            )
        ]
    sizing = [k for k in ("n", "width_factor", "C") if k in table]
    if len(sizing) != 1:
        raise InvalidArgument(f"give exactly one of n=, width_factor=, C= (got {sizing or 'none'})")
    size_key = sizing[0]
    if size_key == "n":
        sizes: list = _ints("n", table["n"])
    else:
        sizes = _floats(size_key, table[size_key], 0.0, None)
    eps = _floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = _ints("seed", table.get("seed", 0), minimum=0)
    fixed = {**RUN_DEFAULTS, **{k: table[k] for k in RUN_DEFAULTS if k in table}}
    fixed["delta"] = _floats("delta", fixed["delta"], 0.0, 1.0)[0]
    fixed["empirical_samples"] = _ints("empirical_samples", fixed["empirical_samples"])[0]
    fixed["ascent_steps"] = _ints("ascent_steps", fixed["ascent_steps"], minimum=0)[0]
    if not isinstance(fixed["rescale"], bool):
        raise InvalidArgument(f"rescale={fixed['rescale']!r} must be true or false")
    return [
        {
            "kind": "run",
            "construction": c,
            "widths": list(s),
            "eps": e,
            size_key: z,
            "seed": seed,
            **fixed,
        }
        for c, s, e, z, seed in itertools.product(names, shapes, eps, sizes, seeds)
    ]


def subset_sum_points(table: dict) -> list[dict]:
    """The "subset_sum" grid points of a `[subset_sum]` table: axes `distribution` (of
    `approx.experiments.montecarlo.DISTRIBUTIONS`), `n`, `eps`, `seed`; fixed `trials`
    (targets per point)."""

    _check_keys("subset_sum", table, {"distribution", "n", "eps", "seed", "trials"})
    dists = _as_list(table.get("distribution", list(DISTRIBUTIONS)))
    for d in dists:
        if d not in DISTRIBUTIONS:
            raise InvalidArgument(f"distribution={d!r} is not one of {list(DISTRIBUTIONS)}")
    if "n" not in table:
        raise InvalidArgument("[subset_sum] needs n= (samples per weight)")
    ns = _ints("n", table["n"])
    eps = _floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = _ints("seed", table.get("seed", 0), minimum=0)
    trials = _ints("trials", table.get("trials", SUBSET_SUM_DEFAULTS["trials"]))[0]
    return [
        {"kind": "subset_sum", "distribution": d, "n": n, "eps": e, "seed": s, "trials": trials}
        for d, n, e, s in itertools.product(dists, ns, eps, seeds)
    ]


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep file: its grid points, and the store and worker count it names."""

    points: tuple[dict, ...]
    store: str | None
    workers: int | None


def load_config(path: str | Path) -> SweepConfig:
    """Parse a TOML sweep file: optional top-level `store` and `workers`, and any of a `[runs]`,
    a `[subset_sum]` and a `[compare]` table (see `run_points`, `subset_sum_points`,
    `compare_points`)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise InvalidArgument(f"config {str(path)!r} cannot be read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidArgument(f"config {str(path)!r} is not valid TOML: {e}") from None
    return config_from_dict(data, where=str(path))


def config_from_dict(data: dict, where: str = "config") -> SweepConfig:
    try:
        _check_keys("top level", data, {"store", "workers", "runs", "subset_sum", "compare"})
        if "runs" not in data and "subset_sum" not in data and "compare" not in data:
            raise InvalidArgument("needs a [runs] or a [subset_sum] table (or a [compare] table)")
        points = run_points(data["runs"]) if "runs" in data else []
        if "subset_sum" in data:
            points += subset_sum_points(data["subset_sum"])
        if "compare" in data:
            points += compare_points(data["compare"])
        workers = data.get("workers")
        if workers is not None:
            _ints("workers", workers)
        store = data.get("store")
        if store is not None and not isinstance(store, str):
            raise InvalidArgument(f"store={store!r} must be a path string")
    except InvalidArgument as e:
        raise InvalidArgument(f"{where}: {e}") from None
    return SweepConfig(points=tuple(points), store=store, workers=workers)
