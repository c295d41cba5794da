"""The width formula behind the tightness table: `L` (the construction's formula at C = 1),
whether it is the construction's own, and the C its formula would need
(`approx.experiments.tightness`'s docstring defines each). A convolutional target is named
by its sweep spec as canonical JSON (`approx.experiments.conv_targets`); the construction is
then told its geometry (`for_target`), and "" names a dense target of the given widths."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ..constructions import get_construction
from ..measurement.bounds import log_term
from .conv_targets import build_conv_target

if TYPE_CHECKING:
    from .tightness import Tightness

# Where `size()` is ⌈C·F⌉ per layer, F is `size(C)/C` as C grows: at C = 2^20 the rounding
# changes it by < 1e-6, and at 2^21 it is the same to 1e-6 (not so for a formula nonlinear in C).
_UNIT_C = 2.0**20


@lru_cache(maxsize=64)
def configured(construction: str, target: str = ""):
    """The construction, told a convolutional target's geometry where `target` names one."""
    cons = get_construction(construction)
    if not target:
        return cons
    return cons.for_target(build_conv_target(json.loads(target), 0))


def _unit(
    construction: str, widths: Sequence[int], eps: float, delta: float, target: str = ""
) -> float | None:
    """The construction's formula at C = 1 before rounding up, largest layer, or None where
    the formula is not linear in C."""
    cons = configured(construction, target)
    widths = tuple(widths)
    unit = max(cons.size(widths, eps, delta, _UNIT_C)) / _UNIT_C
    twice = max(cons.size(widths, eps, delta, 2 * _UNIT_C)) / (2 * _UNIT_C)
    return unit if abs(unit - twice) <= 1e-6 * unit else None


def own_formula(
    construction: str, widths: Sequence[int], eps: float, delta: float, target: str = ""
) -> bool:
    """Whether `L` (and so `C_emp`) is the construction's own formula (module docstring)."""
    return _unit(construction, widths, eps, delta, target) is not None


def formula_unit(
    construction: str, widths: Sequence[int], eps: float, delta: float, target: str = ""
) -> float:
    """`L`: the construction's width formula at C = 1 before rounding up, largest layer, where
    the formula is linear in C; else Pensia's log term (module docstring)."""
    unit = _unit(construction, widths, eps, delta, target)
    return log_term(tuple(widths), eps, delta) if unit is None else unit


def matching_C(row: Tightness) -> float:
    """The smallest C (to 3 significant digits, within [1e-4, 1e4]) at which the construction's
    own width formula asks for at least `row.n_needed` in its widest layer: the constant its
    theorem would need on this row (nan where n_needed is not finite). For Pensia's formula it
    is ≈ C_emp; for the others it calibrates their own formula."""
    if not math.isfinite(row.n_needed):
        return math.nan
    cons = configured(row.construction, row.target)

    def enough(c: float) -> bool:
        return max(cons.size(row.widths, row.eps, row.delta, c)) >= row.n_needed

    lo, hi = 1e-4, 1e4
    if not enough(hi):
        return math.inf
    while hi / lo > 1.0005:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return float(f"{hi:.3g}")
