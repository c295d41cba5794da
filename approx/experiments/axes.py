"""Checked grid axes: a TOML value turned into a list of checked values (a scalar is a
one-value axis), and `Grid`, a product of axes counted before any point is built. Shared by
every kind of sweep table (`approx.experiments.grid`, `approx.experiments.compare_grid`)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..basics import defaults
from ..basics.errors import InvalidArgument


def shown(value: Any, limit: int = 120) -> str:
    """`repr(value)` for a message, cut to about `limit` characters: a sweep file's list of
    10,000 entries is named, not printed whole on the error line."""
    text = repr(value)
    if len(text) <= limit:
        return text
    more = f" ({len(value):,} entries)" if isinstance(value, (list, tuple, dict)) else ""
    return f"{text[:limit]}...{more}"


def as_list(name: str, value: Any) -> list:
    """A TOML scalar as a one-value axis, a list as itself; tables and empty lists refused."""
    if isinstance(value, dict):
        raise InvalidArgument(f"{name}={shown(value)} is a table; give a value or a list of values")
    out = list(value) if isinstance(value, (list, tuple)) else [value]
    if not out:
        raise InvalidArgument(f"{name}=[] is empty: the grid would have no points")
    return out


def ints(name: str, value: Any, minimum: int = 1) -> list[int]:
    out = as_list(name, value)
    for v in out:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise InvalidArgument(
                f"{name}={shown(value)}: every entry must be an integer >= {minimum}"
            )
    return out


def floats(name: str, value: Any, lo: float, hi: float | None) -> list[float]:
    out = []
    for v in as_list(name, value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise InvalidArgument(f"{name}={shown(value)}: every entry must be a finite number")
        if not (v > lo and (hi is None or v < hi)):
            rng = f"in ({lo:g}, {hi:g})" if hi is not None else f"> {lo:g}"
            raise InvalidArgument(f"{name}={shown(value)}: every entry must be {rng}")
        out.append(float(v))  # 4 and 4.0 must give one key
    return out


def choices(name: str, value: Any, allowed) -> list[str]:
    out = as_list(name, value)
    for v in out:
        if not isinstance(v, str) or v not in allowed:
            raise InvalidArgument(f"{name}={shown(v)} is not one of {sorted(allowed)}")
    return out


def bools(name: str, value: Any) -> list[bool]:
    out = as_list(name, value)
    for v in out:
        if not isinstance(v, bool):
            raise InvalidArgument(f"{name}={shown(v)} must be true or false")
    return out


def check_keys(section: str, table: Any, allowed: set[str]) -> None:
    if not isinstance(table, dict):
        raise InvalidArgument(f"[{section}] must be a table, not {shown(table)}")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InvalidArgument(
            f"[{section}] has unknown key(s) {shown(unknown)}; allowed: {sorted(allowed)}"
        )


def target_shapes(table: dict) -> list[tuple[int, ...]]:
    """The target axis: `widths` (one list of widths, or a list of them) or `width` x `depth`."""
    if "widths" not in table:
        pairs = list(
            itertools.product(
                ints("width", table.get("width", 4)), ints("depth", table.get("depth", 2))
            )
        )
        most = defaults.MAX_TARGET_BYTES // 8  # the targets `approx run` takes (float64)
        for w, d in pairs:
            if d * w * w > most:
                raise InvalidArgument(
                    f"width={w}, depth={d} give a target of {d * w * w:.3g} weights, more than "
                    f"the {most:,} a target may have"
                )
        return [(w,) * (d + 1) for w, d in pairs]
    if "width" in table or "depth" in table:
        raise InvalidArgument("give the target as widths= or as width= and depth=, not both")
    raw = table["widths"]
    if not isinstance(raw, (list, tuple)):
        raise InvalidArgument(
            f"widths={shown(raw)} must be a list [d_0, ..., d_l] or a list of such lists"
        )
    nested = any(isinstance(s, (list, tuple)) for s in raw)
    shapes = [tuple(ints("widths", s)) for s in raw] if nested else [tuple(ints("widths", raw))]
    if any(len(s) < 2 for s in shapes):
        raise InvalidArgument(f"widths={shown(raw)}: each target needs >= 2 widths")
    return shapes


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
