"""Sweep grids: TOML tables (or flags) turned into grid points, every value checked.

A grid point is a plain JSON dict (its *config*); its row key in the store is the hash of that
dict (`approx.experiments.store.point_key`). Three kinds of point:

- "run": one `approx.pipeline.run.run(...)`; the row holds `RunResult.to_json()`.
- "subset_sum": one coefficient Monte Carlo (`approx.experiments.montecarlo`): how often the
  best subset of n random coefficients lands within eps of a Uniform[-1, 1] target.
- "compare": one method of `approx compare` beside the constructions
  (`approx.experiments.compare_grid`); the row holds `Benchmark.to_json()`.

Every key is an axis: a scalar is a one-value axis, a list gives one point per value (the grid
is the product of all axes). Every value is checked when the file is read, and the grid's
size is counted from the axes before any point is built: an empty grid, or one of more than
`defaults.MAX_GRID_POINTS` points, is refused at once, and the points are produced lazily
(`SweepConfig.iter_points`), so a large grid costs no memory until it is computed.
"""

from __future__ import annotations

import itertools
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
from .axes import Grid, as_list, bools, check_keys, choices, floats, ints, shown, target_shapes
from .compare_grid import compare_grids
from .conv_targets import CONV_KEYS, checked_conv_targets
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


# the fixed settings of a run point, each a checked axis
_RUN_SETTINGS: dict[str, Callable[[str, Any], list]] = {
    "delta": lambda k, v: floats(k, v, 0.0, 1.0),
    "solver": lambda k, v: choices(k, v, SOLVERS),
    "dtype": lambda k, v: choices(k, v, DTYPES),
    "empirical_samples": lambda k, v: ints(k, v),
    "ascent_steps": lambda k, v: ints(k, v, minimum=0),
    "rescale": bools,
}


def run_grid(table: dict) -> Grid:
    """The "run" grid of a `[runs]` table (see `run_points`), checked, not built."""
    axes_keys = {"construction", "width", "depth", "widths", "eps", "n", "width_factor", "C"}
    check_keys("runs", table, axes_keys | CONV_KEYS | {"seed"} | set(RUN_DEFAULTS))
    names = as_list("construction", table.get("construction", "all"))
    every = names == ["all"]
    names = choices("construction", sorted(CONSTRUCTIONS) if every else names, CONSTRUCTIONS)
    # the target axis: dense shapes (widths), or conv targets (target= / conv=), each a pair
    # (config entries of the point, widths)
    if "target" in table or "conv" in table:
        if "width_factor" in table:
            raise InvalidArgument("width_factor= is for dense targets; give n= or C= with a conv")
        convs, names = checked_conv_targets(table, names, every=every)
        shapes: list = [({"target": spec}, widths) for spec, widths in convs]
    else:
        extra = sorted(CONV_KEYS.intersection(table))
        if extra:
            raise InvalidArgument(f"{extra} describe a conv target: give target= or conv= too")
        shapes = [({}, list(s)) for s in target_shapes(table)]
    sizing = [k for k in ("n", "width_factor", "C") if k in table]
    if len(sizing) != 1:
        raise InvalidArgument(f"give exactly one of n=, width_factor=, C= (got {sizing or 'none'})")
    size_key = sizing[0]
    if size_key == "n":
        sizes: list = ints("n", table["n"])
    else:
        sizes = floats(size_key, table[size_key], 0.0, None)
    eps = floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = ints("seed", table.get("seed", 0), minimum=0)
    settings = {k: check(k, table.get(k, RUN_DEFAULTS[k])) for k, check in _RUN_SETTINGS.items()}

    def build(combo: tuple) -> dict:
        c, (conv, widths), e, z, seed, *rest = combo
        point = {"kind": "run", "construction": c, "widths": widths, **conv, "eps": e}
        return {**point, size_key: z, "seed": seed, **dict(zip(settings, rest, strict=True))}

    axes = [("construction", names), ("widths", shapes), ("eps", eps), (size_key, sizes)]
    axes += [("seed", seeds), *settings.items()]
    return Grid(tuple((k, tuple(v)) for k, v in axes), build)


def run_points(table: dict) -> list[dict]:
    """The "run" grid points of a `[runs]` table, in grid order.

    Axes (a scalar or a list each): `construction` (names, or "all" for every registered one),
    the target as `width` x `depth` (square hidden layers: widths `(width,) * (depth + 1)`) or
    `widths` (explicit lists `[d_0, ..., d_l]`), or a convolutional target by `target=` (files)
    or `conv=` (a generated architecture) with `input_shape=`
    (`approx.experiments.conv_targets`), `eps`, exactly one of `n` (samples per weight),
    `width_factor` (random-net hidden width / target width, turned into the smallest n that
    reaches it) or `C` (n from the theorem's formula with this constant), `seed`, and the
    settings `delta`, `solver`, `dtype`, `empirical_samples`, `ascent_steps`, `rescale`.
    """
    return list(run_grid(table))


def subset_sum_grid(table: dict) -> Grid:
    """The "subset_sum" grid of a `[subset_sum]` table (see `subset_sum_points`)."""
    check_keys("subset_sum", table, {"distribution", "n", "eps", "seed", "trials"})
    dists = choices("distribution", table.get("distribution", list(DISTRIBUTIONS)), DISTRIBUTIONS)
    if "n" not in table:
        raise InvalidArgument("[subset_sum] needs n= (samples per weight)")
    ns = ints("n", table["n"])
    limit = max_coefficients(defaults.SOLVER)
    if limit is not None and max(ns) > limit:
        raise InvalidArgument(
            f"n={max(ns)}: the exact solver of a subset_sum point takes at most {limit} "
            "coefficients per instance"
        )
    eps = floats("eps", table.get("eps", 0.01), 0.0, 1.0)
    seeds = ints("seed", table.get("seed", 0), minimum=0)
    trials = ints("trials", table.get("trials", SUBSET_SUM_DEFAULTS["trials"]))

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
    """Parse a TOML sweep file: optional top-level `store` and `workers`, and any of a `[runs]`,
    a `[subset_sum]` and a `[compare]` table (see `run_points`, `subset_sum_points`,
    `approx.experiments.compare_grid`)."""
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
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise InvalidArgument(f"{where} nests arrays or tables too deeply") from None
    return config_from_dict(data, where=str(path))


def config_from_dict(data: dict, where: str = "config") -> SweepConfig:
    try:
        check_keys("top level", data, {"store", "workers", "runs", "subset_sum", "compare"})
        if "runs" not in data and "subset_sum" not in data and "compare" not in data:
            raise InvalidArgument("needs a [runs] or a [subset_sum] table, or a [compare] table")
        grids = [run_grid(data["runs"])] if "runs" in data else []
        if "subset_sum" in data:
            grids.append(subset_sum_grid(data["subset_sum"]))
        if "compare" in data:
            grids += compare_grids(data["compare"])
        workers = data.get("workers")
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise InvalidArgument(f"workers={shown(workers)} must be one integer >= 1")
        store = data.get("store")
        if store is not None and (not isinstance(store, str) or not store):
            raise InvalidArgument(f"store={shown(store)} must be a path string")
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
