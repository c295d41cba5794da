"""Sweep grids: TOML tables (or flags) turned into grid points, every value checked.

A grid point is a plain JSON dict (its *config*); its row key in the store is the hash of that
dict (`approx.experiments.store.point_key`). Two kinds of point:

- "run": one `approx.pipeline.run.run(...)`; the row holds `RunResult.to_json()`.
- "subset_sum": one coefficient Monte Carlo (`approx.experiments.montecarlo`): how often the
  best subset of n random coefficients lands within eps of a Uniform[-1, 1] target.

Every key is an axis: a scalar is a one-value axis, a list gives one point per value (the grid
is the product of all axes). Every value is checked when the file is read, and the grid's
size is counted from the axes before any point is built: an empty grid, or one of more than
`defaults.MAX_GRID_POINTS` points, is refused at once, and the points are produced lazily
(`SweepConfig.iter_points`), so a large grid costs no memory until it is computed.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..basics import defaults
from ..basics.devices import DTYPES
from ..basics.errors import InvalidArgument
from ..constructions import CONSTRUCTIONS
from ..engine.subset_sum import SOLVERS, max_coefficients
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


def _as_list(name: str, value: Any) -> list:
    """A TOML scalar as a one-value axis, a list as itself; tables and empty lists refused."""
    if isinstance(value, dict):
        raise InvalidArgument(f"{name}={value!r} is a table; give a value or a list of values")
    out = list(value) if isinstance(value, (list, tuple)) else [value]
    if not out:
        raise InvalidArgument(f"{name}=[] is empty: the grid would have no points")
    return out


def _ints(name: str, value: Any, minimum: int = 1) -> list[int]:
    out = _as_list(name, value)
    for v in out:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise InvalidArgument(f"{name}={value!r}: every entry must be an integer >= {minimum}")
    return out


def _floats(name: str, value: Any, lo: float, hi: float | None) -> list[float]:
    out = []
    for v in _as_list(name, value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidArgument(f"{name}={value!r}: every entry must be a finite number")
        if not (v > lo and (hi is None or v < hi)):
            rng = f"({lo:g}, {hi:g})" if hi is not None else f"> {lo:g}"
            raise InvalidArgument(f"{name}={value!r}: every entry must be {rng}")
        out.append(float(v))  # 4 and 4.0 must give one key
    return out


def _choices(name: str, value: Any, allowed) -> list[str]:
    out = _as_list(name, value)
    for v in out:
        if not isinstance(v, str) or v not in allowed:
            raise InvalidArgument(f"{name}={v!r} is not one of {sorted(allowed)}")
    return out


def _bools(name: str, value: Any) -> list[bool]:
    out = _as_list(name, value)
    for v in out:
        if not isinstance(v, bool):
            raise InvalidArgument(f"{name}={v!r} must be true or false")
    return out


def _check_keys(section: str, table: Any, allowed: set[str]) -> None:
    if not isinstance(table, dict):
        raise InvalidArgument(f"[{section}] must be a table, not {table!r}")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidArgument(
            f"[{section}] has unknown key(s) {unknown}; allowed: {sorted(allowed)}"
        )


def _shapes(table: dict) -> list[tuple[int, ...]]:
    """The target axis: `widths` (one list of widths, or a list of them) or `width` x `depth`."""
    if "widths" not in table:
        return [
            (w,) * (d + 1)
            for w, d in itertools.product(
                _ints("width", table.get("width", 4)), _ints("depth", table.get("depth", 2))
            )
        ]
    if "width" in table or "depth" in table:
        raise InvalidArgument("give the target as widths= or as width= and depth=, not both")
    raw = table["widths"]
    if not isinstance(raw, (list, tuple)):
        raise InvalidArgument(
            f"widths={raw!r} must be a list [d_0, ..., d_l] or a list of such lists"
        )
    nested = any(isinstance(s, (list, tuple)) for s in raw)
    shapes = [tuple(_ints("widths", s)) for s in raw] if nested else [tuple(_ints("widths", raw))]
    if any(len(s) < 2 for s in shapes):
        raise InvalidArgument(f"widths={raw!r}: each target needs >= 2 widths")
    return shapes


# the fixed settings of a run point, each a checked axis
_RUN_SETTINGS: dict[str, Callable[[str, Any], list]] = {
    "delta": lambda k, v: _floats(k, v, 0.0, 1.0),
    "solver": lambda k, v: _choices(k, v, SOLVERS),
    "dtype": lambda k, v: _choices(k, v, DTYPES),
    "empirical_samples": lambda k, v: _ints(k, v),
    "ascent_steps": lambda k, v: _ints(k, v, minimum=0),
    "rescale": _bools,
}


@dataclass(frozen=True)
class Grid:
    """A checked grid: its axes in order (name, values) and how to build a point from one
    value per axis. `len(grid)` is counted, not built; iterating builds points lazily."""

    axes: tuple[tuple[str, tuple], ...]
    build: Callable[[tuple], dict]

    def __len__(self) -> int:
        return math.prod(len(values) for _, values in self.axes)

    def __iter__(self) -> Iterator[dict]:
        for combo in itertools.product(*(values for _, values in self.axes)):
            yield self.build(combo)

    def point(self, i: int) -> dict:
        """The i-th point in grid order (the last axis varies fastest), without building the
        others."""
        combo = []
        for _, values in reversed(self.axes):
            i, r = divmod(i, len(values))
            combo.append(values[r])
        return self.build(tuple(reversed(combo)))


def run_grid(table: dict) -> Grid:
    """The "run" grid of a `[runs]` table (see `run_points`), checked, not built."""
    axes_keys = {"construction", "width", "depth", "widths", "eps", "n", "width_factor", "C"}
    _check_keys("runs", table, axes_keys | {"seed"} | set(RUN_DEFAULTS))
    names = _as_list("construction", table.get("construction", "all"))
    if names == ["all"]:
        names = sorted(CONSTRUCTIONS)
    names = _choices("construction", names, CONSTRUCTIONS)
    shapes = _shapes(table)
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
    settings = {k: check(k, table.get(k, RUN_DEFAULTS[k])) for k, check in _RUN_SETTINGS.items()}

    def build(combo: tuple) -> dict:
        c, s, e, z, seed, *rest = combo
        point = {"kind": "run", "construction": c, "widths": list(s), "eps": e, size_key: z}
        return {**point, "seed": seed, **dict(zip(settings, rest, strict=True))}

    axes = [("construction", names), ("widths", shapes), ("eps", eps), (size_key, sizes)]
    axes += [("seed", seeds), *settings.items()]
    return Grid(tuple((k, tuple(v)) for k, v in axes), build)


def run_points(table: dict) -> list[dict]:
    """The "run" grid points of a `[runs]` table, in grid order.

    Axes (a scalar or a list each): `construction` (names, or "all" for every registered one),
    the target as `width` x `depth` (square hidden layers: widths `(width,) * (depth + 1)`) or
    `widths` (explicit lists `[d_0, ..., d_l]`), `eps`, exactly one of `n` (samples per weight),
    `width_factor` (random-net hidden width / target width, turned into the smallest n that
    reaches it) or `C` (n from the theorem's formula with this constant), `seed`, and the
    settings `delta`, `solver`, `dtype`, `empirical_samples`, `ascent_steps`, `rescale`.
    """
    return list(run_grid(table))


def subset_sum_grid(table: dict) -> Grid:
    """The "subset_sum" grid of a `[subset_sum]` table (see `subset_sum_points`)."""
    _check_keys("subset_sum", table, {"distribution", "n", "eps", "seed", "trials"})
    dists = _choices("distribution", table.get("distribution", list(DISTRIBUTIONS)), DISTRIBUTIONS)
    if "n" not in table:
        raise InvalidArgument("[subset_sum] needs n= (samples per weight)")
    ns = _ints("n", table["n"])
    limit = max_coefficients(defaults.SOLVER)
    if limit is not None and max(ns) > limit:
        raise InvalidArgument(
            f"n={max(ns)}: the exact solver of a subset_sum point takes at most {limit} "
            "coefficients per instance"
        )
    eps = _floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = _ints("seed", table.get("seed", 0), minimum=0)
    trials = _ints("trials", table.get("trials", SUBSET_SUM_DEFAULTS["trials"]))

    def build(combo: tuple) -> dict:
        d, n, e, s, t = combo
        return {"kind": "subset_sum", "distribution": d, "n": n, "eps": e, "seed": s, "trials": t}

    axes = (("distribution", dists), ("n", ns), ("eps", eps), ("seed", seeds), ("trials", trials))
    return Grid(tuple((k, tuple(v)) for k, v in axes), build)


def subset_sum_points(table: dict) -> list[dict]:
    """The "subset_sum" grid points of a `[subset_sum]` table: axes `distribution` (of
    `approx.experiments.montecarlo.DISTRIBUTIONS`), `n`, `eps`, `seed`, `trials` (targets per
    point)."""
    return list(subset_sum_grid(table))


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep file: its grids, and the store and worker count it names. `count` is
    the number of points; `iter_points()` builds them one at a time; `points` builds all."""

    grids: tuple[Grid, ...]
    store: str | None
    workers: int | None

    @property
    def count(self) -> int:
        return sum(len(g) for g in self.grids)

    def iter_points(self) -> Iterator[dict]:
        return itertools.chain.from_iterable(self.grids)

    def sample(self, k: int) -> list[dict]:
        """Up to `k` points spread evenly over the grid (for estimates of a large grid)."""
        out = []
        for g in self.grids:
            share = max(1, round(k * len(g) / max(1, self.count)))
            step = max(1, len(g) // share)
            out += [g.point(i) for i in range(0, len(g), step)][:share]
        return out

    @property
    def points(self) -> tuple[dict, ...]:
        return tuple(self.iter_points())


def load_config(path: str | Path) -> SweepConfig:
    """Parse a TOML sweep file: optional top-level `store` and `workers`, and a `[runs]` and/or
    `[subset_sum]` table (see `run_points`, `subset_sum_points`)."""
    path = Path(path)
    where = f"config {str(path)!r}"
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except IsADirectoryError:
        raise InvalidArgument(f"{where} is a directory, not a TOML file") from None
    except OSError as e:
        raise InvalidArgument(f"{where} cannot be read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise InvalidArgument(
            f"{where} is not UTF-8 text (byte {e.start}): not a TOML file"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise InvalidArgument(f"{where} is not valid TOML: {e}") from None
    return config_from_dict(data, where=str(path))


def config_from_dict(data: dict, where: str = "config") -> SweepConfig:
    try:
        _check_keys("top level", data, {"store", "workers", "runs", "subset_sum"})
        if "runs" not in data and "subset_sum" not in data:
            raise InvalidArgument("needs a [runs] or a [subset_sum] table")
        grids = [run_grid(data["runs"])] if "runs" in data else []
        if "subset_sum" in data:
            grids.append(subset_sum_grid(data["subset_sum"]))
        workers = data.get("workers")
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise InvalidArgument(f"workers={workers!r} must be one integer >= 1")
        store = data.get("store")
        if store is not None and (not isinstance(store, str) or not store):
            raise InvalidArgument(f"store={store!r} must be a path string")
        cfg = SweepConfig(grids=tuple(grids), store=store, workers=workers)
        if cfg.count > defaults.MAX_GRID_POINTS:
            sizes = " x ".join(f"{len(v)} {k}" for g in grids for k, v in g.axes if len(v) > 1)
            raise InvalidArgument(
                f"the grid has {cfg.count:,} points ({sizes}), more than the "
                f"{defaults.MAX_GRID_POINTS:,} a sweep takes; shrink an axis"
            )
    except InvalidArgument as e:
        raise InvalidArgument(f"{where}: {e}") from None
    return cfg
