"""What the question experiments share: seeds, medians with distribution-free intervals, and
power-law fits, all JSON-safe (an interval the sample cannot bound is None, never inf)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ...basics import defaults
from ...basics.errors import InvalidArgument
from ...basics.files import check_writable_dir, write_text_atomic
from ...basics.sampling import spawn_seeds
from ...basics.statistics import quantile_interval


def child_seeds(seed: int, count: int) -> list[int]:
    """`count` independent seeds derived from one user seed (numpy's SeedSequence)."""
    return spawn_seeds(seed, count) if count else []


def _finite(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def median_ci(values: Sequence[float], level: float = 0.95) -> dict:
    """The median of `values` and its distribution-free `level` interval (order statistics,
    `approx.basics.statistics.quantile_interval`); an end the sample cannot bound is None."""
    est, lo, hi = quantile_interval(list(values), 0.5, level)
    return {"median": _finite(est), "lo": _finite(lo), "hi": _finite(hi), "count": len(values)}


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """beta in y ~ x^beta: least squares of log y on log x over the finite, positive pairs;
    None with fewer than two."""
    pts = [
        (math.log(x), math.log(y))
        for x, y in zip(xs, ys, strict=True)
        if x is not None and y is not None and x > 0 and y > 0 and math.isfinite(y)
    ]
    if len(pts) < 2:
        return None
    a, b = np.array(pts).T
    return float(np.polyfit(a, b, 1)[0])


def linear_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """b in y ~ a + b x, least squares over the finite pairs; None with fewer than two."""
    pts = [
        (float(x), float(y))
        for x, y in zip(xs, ys, strict=True)
        if x is not None and y is not None and math.isfinite(y)
    ]
    if len(pts) < 2:
        return None
    a, b = np.array(pts).T
    return float(np.polyfit(a, b, 1)[0])


def scale_settings(table: Mapping[str, dict], scale: str) -> dict:
    """The settings of one scale ("smoke", "quick" or "full") from a defaults table."""
    if scale not in defaults.QUESTION_SCALES:
        raise InvalidArgument(f"scale={scale!r} is not one of {list(defaults.QUESTION_SCALES)}")
    return dict(table[scale])


def prepare_out(out: str | Path) -> Path:
    """The output directory, checked (and created) before any work: nothing computed is lost
    to an output error."""
    path = check_writable_dir(out, "--out")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: str | Path, payload: dict) -> Path:
    """`payload` as JSON (strict: no NaN or inf), written atomically."""
    return write_text_atomic(path, json.dumps(payload, indent=1, allow_nan=False) + "\n")
