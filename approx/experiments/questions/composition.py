"""How does the error grow with the depth l? Each construction at a fixed per-layer n, targets
of depth l = 1, 2, 4, …, measured three ways and set against the two composition bounds.

Per run (`approx.pipeline.run.run`): the per-layer errors `e_i` (the certified bound's layer
errors: `sup ||L̂_i(h) − W_i h||` over the unit ball of layer i's inputs), the certified error
(the composition recursion of `approx.measurement.certified`, a proven upper bound) and the
empirical error (a lower estimate found at actual points). Against them:

- `Σ e_i`, the first-order picture ("the errors add"; not a bound);
- the per-layer bound `(e − 1) Σ e_i`, proven when every `||W_i||_2 ≤ 1` and `Σ e_i ≤ 1`
  (docs/references.md, Findings, 3); None where `Σ e_i > 1`;
- the product bound `Π (1 + e_i) − 1`, proven when every `||W_i||_2 ≤ 1` (the recursion with
  all norms set to 1), and attained by a scalar ReLU chain whose layer errors share a sign.

Always `empirical ≤ true error ≤ certified ≤ Π(1 + e_i) − 1 ≤ (e − 1) Σ e_i` (the last where it
applies). Two families of targets, width `width` at every layer for the first:

- ``random``: `run`'s own random targets (Uniform entries, every `||W_i||_2 = 1`, scaled into
  Malach's class where needed): the signal shrinks from layer to layer, and so does the
  target, so the error is also reported relative to the target's size `sup_{||x||≤1} ||f(x)||`
  (estimated like the empirical error, a lower estimate);
- ``chain``: the scalar chain `W_i = [[1]]` (`approx.experiments.targets.chain_target`), whose
  signal never shrinks: the worst case of the composition bound, size exactly 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from ...basics.errors import InvalidArgument, check_positive_int
from ...basics.network import Network
from ...basics.progress import progress_bar
from ...constructions import get_construction
from ...measurement.empirical import empirical_error
from ...pipeline.run import run
from ..targets import chain_target
from .common import child_seeds, loglog_slope, median_ci

FAMILIES = ("random", "chain")
# Relative slack when checking empirical <= certified <= product bound: the certified
# bound inflates every spectral norm by a relative 1e-10 (approx.measurement.certified).
_ORDER_SLACK = 1e-8


def composition_bounds(layer_errors: Sequence[float]) -> dict:
    """`sum` = Σ e_i, `sum_bound` = (e − 1) Σ e_i (None where Σ e_i > 1), `product_bound` =
    Π (1 + e_i) − 1, and `undershoot` = 1 − Π (1 − min(e_i, 1)): not a bound, the error of a
    scalar chain whose every layer realises `1 − e_i` instead of 1."""
    s = float(sum(layer_errors))
    return {
        "sum": s,
        "sum_bound": (math.e - 1) * s if s <= 1 else None,
        "product_bound": math.prod(1 + e for e in layer_errors) - 1,
        "undershoot": 1 - math.prod(1 - min(e, 1.0) for e in layer_errors),
    }


def target_size(target: Network, seed: int, samples: int, ascent_steps: int) -> float:
    """`sup_{||x||≤1} ||f(x)||`, estimated as the empirical error against the zero function (a
    lower estimate; exact for the chain, whose sup is at x = 1)."""

    def zero(x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(x.shape[0], target.widths[-1], dtype=x.dtype, device=x.device)

    return empirical_error(
        target.forward,
        zero,
        target.widths[0],
        generator=torch.Generator().manual_seed(seed),
        n_samples=samples,
        ascent_steps=ascent_steps,
        dtype=target.dtype,
    ).value


def _one(construction, family, depth, n, width, s, samples, steps) -> dict:
    common = {"n": n, "construction": construction, "seed": s}
    opts = {"empirical_samples": samples, "ascent_steps": steps}
    if family == "random":
        r = run(widths=(width,) * (depth + 1), **common, **opts)
    else:
        r = run(target=chain_target(depth), **common, **opts)
    size = target_size(r.artifacts.target, s, samples, steps)
    row = {
        "construction": construction,
        "family": family,
        "depth": depth,
        "width": r.target_widths[0],
        "n": n,
        "seed": s,
        "random_params": r.random_params,
        "layer_errors": list(r.certified_layer_errors),
        "certified": r.certified_error,
        "empirical": r.empirical_error,
        "target_size": size,
        "relative_empirical": r.empirical_error / size if size > 0 else None,
        "relative_certified": r.certified_error / size if size > 0 else None,
        **composition_bounds(r.certified_layer_errors),
    }
    row["order_holds"] = (
        row["empirical"] <= row["certified"] * (1 + _ORDER_SLACK)
        and row["certified"] <= row["product_bound"] * (1 + _ORDER_SLACK) + 1e-15
    )
    return row


def composition_runs(
    *,
    constructions: Sequence[str],
    families: Sequence[str],
    depths: Sequence[int],
    n: Mapping[str, int],
    width: int,
    seeds: int,
    seed: int,
    empirical_samples: int,
    ascent_steps: int,
    progress: bool = True,
) -> list[dict]:
    """One row per (construction, family, depth, seed): see the module docstring. `n` maps
    each construction to its samples per weight (the same at every layer and depth); the
    seeds are `seeds` children of `seed`, the same for every construction and depth."""
    for c in constructions:
        get_construction(c)
        if c not in n:
            raise InvalidArgument(f"n={dict(n)} gives no samples per weight for {c!r}")
        check_positive_int(f"n[{c!r}]", n[c])
    for f in families:
        if f not in FAMILIES:
            raise InvalidArgument(f"family={f!r} is not one of {list(FAMILIES)}")
    for d in depths:
        check_positive_int("depth", d)
    check_positive_int("width", width)
    check_positive_int("seeds", seeds)
    seed_list = child_seeds(seed, seeds)
    jobs = [
        (c, f, d, s) for c in constructions for f in families for d in depths for s in seed_list
    ]
    rows = []
    with progress_bar(len(jobs), desc="error vs depth", unit="run", enabled=progress) as bar:
        for c, f, d, s in jobs:
            rows.append(_one(c, f, d, n[c], width, s, empirical_samples, ascent_steps))
            bar.update(1)
    return rows


_MEASURES = (
    "certified",
    "empirical",
    "relative_empirical",
    "sum",
    "product_bound",
    "undershoot",
)


def composition_summary(rows: list[dict]) -> dict:
    """Per (construction, family, depth): the median and 95% interval over seeds of every
    measure, of the per-layer bound where it applies to every seed (else None; the count of
    seeds it applies to is `sum_bound_applies`), and of the ratios
    certified / Σ e_i, empirical / Σ e_i and certified / product bound. Per (construction,
    family): how each median grows with depth (`beta` in median ~ l^beta) and how many runs
    broke the order empirical ≤ certified ≤ product bound (must be 0)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["construction"], r["family"]), {}).setdefault(r["depth"], []).append(r)
    out = []
    for (c, f), by_depth in groups.items():
        points = []
        for depth in sorted(by_depth):
            rs = by_depth[depth]
            point = {"depth": depth, "seeds": len(rs)}
            for m in _MEASURES:
                point[m] = median_ci([r[m] for r in rs if r[m] is not None])
            # the per-layer bound only where it applies to every seed (a median over the seeds
            # where Σ e_i ≤ 1 alone would be biased low)
            applies = [r["sum_bound"] for r in rs if r["sum_bound"] is not None]
            point["sum_bound"] = median_ci(applies) if len(applies) == len(rs) else None
            point["sum_bound_applies"] = len(applies)
            for name, num, den in (
                ("certified_over_sum", "certified", "sum"),
                ("empirical_over_sum", "empirical", "sum"),
                ("certified_over_product", "certified", "product_bound"),
            ):
                point[name] = median_ci([r[num] / r[den] for r in rs if r[den] > 0])
            points.append(point)
        depths = [p["depth"] for p in points]
        growth = {
            m: loglog_slope(depths, [p[m]["median"] for p in points])
            for m in ("certified", "empirical", "relative_empirical", "sum", "product_bound")
        }
        broken = sum(not r["order_holds"] for d in by_depth.values() for r in d)
        out.append(
            {
                "construction": c,
                "family": f,
                "n": by_depth[depths[0]][0]["n"],
                "points": points,
                "growth": growth,
                "order_broken": broken,
            }
        )
    return {"groups": out}
