"""The runs a tightness row probes (`approx.experiments.tightness`): one run config per (seed,
n), all sharing the base of `probe_base`, and the check that refuses a row whose probes would
all be refused, before any of them runs or is stored."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..basics import defaults
from ..constructions import get_construction
from ..measurement.sandwich import covers
from .points import plan_point


def probe_error(construction: str, widths: Sequence[int], error: str, target: str = "") -> str:
    """The error method the probes use: `error`, but "certified" where the sandwich does not
    cover the construction, the widths (`approx.measurement.sandwich.covers`) or a
    convolutional `target`."""
    half_line = not getattr(get_construction(construction), "realises_copies", False)
    if error == "sandwich" and (target or not covers(tuple(widths), half_line)):
        return "certified"
    return error


def probe_base(
    construction: str, widths: Sequence[int], delta: float, solver: str, error: str, target: str
) -> dict:
    """What every probe of a row shares. Only the upper value is needed: the empirical search
    is kept cheap."""
    return {
        "error": probe_error(construction, widths, error, target),
        "sandwich_boxes": defaults.TIGHTNESS_SANDWICH_BOXES,
        "delta": float(delta),
        "solver": solver,
        "dtype": "float64",
        "empirical_samples": defaults.TIGHTNESS_EMPIRICAL_SAMPLES,
        "ascent_steps": defaults.TIGHTNESS_ASCENT_STEPS,
        "rescale": False,
    }


def probe_config(
    base: dict, construction: str, widths, eps, n: int, seed: int, target: str = ""
) -> dict:
    """The run config of one probe: seed `seed` at `n` samples per weight in every layer."""
    return {
        "kind": "run",
        "construction": construction,
        "widths": list(widths),
        **({"target": json.loads(target)} if target else {}),
        "eps": float(eps),
        "n": n,
        "seed": seed,
        **base,
    }


def check_probes(
    construction: str, widths: Sequence[int], eps: float, base: dict, target: str = ""
) -> None:
    """Refuse (the run's own InvalidArgument) a row whose probe at n = 1 the run would refuse
    before drawing anything (a target too large, not enough memory, ...): the row would refuse
    only after its probes had run and been stored as failed. A probe refused at a larger n only
    lowers the row's reach (`thresholds`); seed 0 stands for all (the plan reads no weights of
    a dense target, and a file target is the same for every seed)."""
    plan_point(probe_config(base, construction, widths, eps, 1, 0, target))
