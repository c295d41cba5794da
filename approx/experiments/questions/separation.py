"""Why does the target's depth matter, if depth-2 networks are universal approximators?
Telgarsky's sawtooth `t^l` (2^l linear pieces on [0, 1]) as a target, approximated two ways
at a growing number of random parameters:

- deep: the depth-2(l+1) random network of Pensia et al.'s construction for the depth-(l+1)
  sawtooth network (`approx.experiments.targets.sawtooth_target`), pruned by
  `approx.pipeline.run.run` (exact subset sum), n samples per weight;
- shallow: a depth-2 random network `(x, c) -> m hidden -> 1`, Uniform[-1, 1] weights (the
  theorems' law), of growing width m; its best subnetwork is bounded below by
  `approx.measurement.shallow` (piece count; linear relaxation) and searched by the greedy
  pair fit (`approx.pipeline.search.greedy.fit_pair`), which gives an actual subnetwork.

The input is embedded without a bias: `u = (x, 1) / √2`, the constant as an extra coordinate
(inside the unit ball for x ∈ [0, 1]). Both sides approximate the same function: the sawtooth
network with each layer divided by its spectral norm (what `run(..., rescale=True)` does to
put it in Pensia's class), which computes `t^l(x) / (√2 Π ||W_i||)` on the segment. Errors are
*relative*: the sup over x ∈ [0, 1] of |f − g| divided by the target's range h on the segment
(its maximum; its minimum is 0):

- deep, certified: the run's certified error (a proven bound over the whole unit ball, hence
  over the segment) / h;
- deep, segment: the max of |f − g| over `2^(l + GRID_BITS) + 1` evenly spaced x / h (a lower
  estimate of the sup on the segment);
- shallow, searched: the exact sup on the segment of the greedy subnetwork / h;
- shallow, lower bounds (any subnetwork of that random network): the relaxation's optimum at
  the target's breakpoints and every possible kink, / h; and 1/2 below 2^l − 1 hidden units.

Parameters are the random network's: deep `Σ_i 2 d_{i-1}^2 n + 2 d_{i-1} d_i n`, shallow 3m.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ...basics.errors import check_positive_int
from ...basics.masks import Masks, masked_forward
from ...basics.network import Network
from ...basics.progress import progress_bar
from ...basics.sampling import sample_weights
from ...constructions import get_construction
from ...measurement.shallow import (
    brute_force_best,
    kinks,
    lp_lower_bound,
    piece_count_bound,
    segment_error,
    segment_points,
)
from ...pipeline.run import run
from ...pipeline.search.greedy import fit_pair
from ..targets import sawtooth_target
from .common import child_seeds, median_ci

GRID_BITS = 6  # the deep network's segment error is checked at 2^(l + 6) + 1 points
GREEDY_POINTS_BITS = 3  # the greedy search fits 2^(l + 3) + 1 evenly spaced points
SQRT2 = math.sqrt(2)


def class_target(l: int) -> Network:
    """The sawtooth network with each layer divided by its spectral norm (Pensia's class)."""
    net = sawtooth_target(l)
    factors = get_construction("pensia").rescale_factors(net)
    return net.with_weights(w * f for w, f in zip(net.weights, factors, strict=True))


def _segment():
    start = torch.tensor([0.0, 1.0], dtype=torch.float64) / SQRT2
    end = torch.tensor([1.0, 1.0], dtype=torch.float64) / SQRT2
    return start, end


def deep_point(l: int, n: int, seed: int, *, empirical_samples: int, ascent_steps: int) -> dict:
    target = class_target(l)
    r = run(
        target,
        n=n,
        construction="pensia",
        seed=seed,
        empirical_samples=empirical_samples,
        ascent_steps=ascent_steps,
    )
    x = torch.linspace(0, 1, 2 ** (l + GRID_BITS) + 1, dtype=torch.float64)
    start, end = _segment()
    u = segment_points(start, end, x)
    with torch.no_grad():
        f = target.forward(u)[:, 0]
        g = masked_forward(r.artifacts.random_net, r.artifacts.pruned.masks)(u)[:, 0]
    h = float(f.max())
    return {
        "side": "deep",
        "l": l,
        "n": n,
        "seed": seed,
        "params": r.random_params,
        "range": h,
        "certified": r.certified_error / h,
        "segment": float((f - g).abs().max()) / h,
        "empirical_ball": r.empirical_error / h,
    }


def _shallow_net(width: int, seed: int) -> Network:
    gen = torch.Generator().manual_seed(seed)
    return Network.dense(
        [sample_weights((width, 2), generator=gen), sample_weights((1, width), generator=gen)]
    )


def _segment_goal(target: Network, net: Network, l: int):
    """The points where any subnetwork's error can peak (the sawtooth's breakpoints and every
    kink of `net`), the target there, and the target's range."""
    start, end = _segment()
    breaks = torch.arange(2**l + 1, dtype=torch.float64) / 2**l  # t^l is linear between them
    x = torch.cat([breaks, kinks(net.weights[0], start, end)]).unique()
    u = segment_points(start, end, x)
    with torch.no_grad():
        goal = target.forward(u)[:, 0]
    return u, goal, float(goal.max()), breaks


def shallow_point(l: int, width: int, seed: int, *, greedy_steps: int) -> dict:
    target = class_target(l)
    net = _shallow_net(width, seed)
    A, B = net.weights
    start, end = _segment()
    u, goal, h, breaks = _segment_goal(target, net, l)

    def f(v: torch.Tensor) -> torch.Tensor:
        return target.forward(v)

    lower = lp_lower_bound(net, u, goal) / h
    xs = torch.linspace(0, 1, 2 ** (l + GREEDY_POINTS_BITS) + 1, dtype=torch.float64)
    fit_u = segment_points(start, end, xs)
    with torch.no_grad():
        fit_goal = f(fit_u)
    mA, mB, moves = fit_pair(fit_u, fit_goal, A, B, max_steps=greedy_steps)
    found = segment_error(net, Masks((mA, mB)), f, start, end, breaks) / h
    return {
        "side": "shallow",
        "l": l,
        "width": width,
        "seed": seed,
        "params": net.n_params,
        "range": h,
        "lp_lower_bound": lower,
        "piece_count_bound": piece_count_bound(width, l),
        "greedy": found,
        "greedy_moves": len(moves),
        "greedy_kept": int(mA.sum() + mB.sum()),
    }


def relaxation_gap(l: int, width: int, seed: int) -> dict:
    """How loose the relaxation is where every subnetwork can be enumerated: the best
    subnetwork's relative error (brute force) beside the relaxation's bound, same network."""
    net = _shallow_net(width, seed)
    u, goal, h, _ = _segment_goal(class_target(l), net, l)
    best = brute_force_best(net, u, goal) / h
    lower = lp_lower_bound(net, u, goal) / h
    return {"side": "gap", "l": l, "width": width, "seed": seed, "best": best, "lower": lower}


def separation_runs(
    *,
    depths: Sequence[int],
    ns: Sequence[int],
    width_bits: Sequence[int],
    max_width: int,
    seeds: int,
    seed: int,
    empirical_samples: int,
    ascent_steps: int,
    greedy_steps: int,
    gap_cases: Sequence[tuple[int, int]] = (),
    progress: bool = True,
) -> list[dict]:
    """Rows for every depth l: the deep side at every n, the shallow side at every width
    `round(2^(l + b))` (b in `width_bits`, at most `max_width`), each for `seeds` seeds
    (children of `seed`; the deep and shallow sides use the same list); and for every
    (l, width) in `gap_cases`, `relaxation_gap` on the same seeds."""
    for v in (*depths, *ns, max_width, seeds, greedy_steps):
        check_positive_int("depths, ns, max_width, seeds and greedy_steps", v)
    seed_list = child_seeds(seed, seeds)
    jobs = []
    for l in depths:
        jobs += [("deep", l, n, s) for n in ns for s in seed_list]
        widths = sorted({round(2 ** (l + b)) for b in width_bits} & set(range(1, max_width + 1)))
        jobs += [("shallow", l, m, s) for m in widths for s in seed_list]
    jobs += [("gap", l, m, s) for l, m in gap_cases for s in seed_list]
    rows = []
    with progress_bar(len(jobs), desc="depth separation", unit="net", enabled=progress) as bar:
        for side, l, size, s in jobs:
            if side == "deep":
                rows.append(
                    deep_point(
                        l, size, s, empirical_samples=empirical_samples, ascent_steps=ascent_steps
                    )
                )
            elif side == "shallow":
                rows.append(shallow_point(l, size, s, greedy_steps=greedy_steps))
            else:
                rows.append(relaxation_gap(l, size, s))
            bar.update(1)
    return rows


_MEASURES = {
    "deep": ("certified", "segment", "empirical_ball"),
    "shallow": ("lp_lower_bound", "greedy", "piece_count_bound"),
}


def _needed(points: list[dict], key: str, level: float) -> int | None:
    """The fewest parameters at which the median of `key` is at most `level`; None if none."""
    ok = [p["params"] for p in points if p[key]["median"] is not None and p[key]["median"] <= level]
    return min(ok) if ok else None


def separation_summary(rows: list[dict], level: float) -> dict:
    """Per (side, l, n or width): medians with 95% intervals over seeds of every measure. Per
    l, the parameters each side needs for a relative error ≤ `level` (median over seeds):
    deep by its certified bound (an upper bound on what it needs) and by its segment error;
    shallow by the relaxation (a lower bound on what its best subnetwork needs: with fewer,
    even the relaxation fails) and by the greedy search; and `3 (2^l − 1)`, below which every
    subnetwork of every depth-2 network of that size, random or trained, is ≥ 1/2 off. And
    per `relaxation_gap` case: the best subnetwork's and the relaxation's medians, and the
    ratio bound / best (median and smallest)."""
    groups: dict = {}
    gaps: dict = {}
    for r in rows:
        if r["side"] == "gap":
            gaps.setdefault((r["l"], r["width"]), []).append(r)
            continue
        size = r["n"] if r["side"] == "deep" else r["width"]
        groups.setdefault((r["side"], r["l"]), {}).setdefault(size, []).append(r)
    curves, needs = [], {}
    for (side, l), by_size in sorted(groups.items()):
        points = []
        for size in sorted(by_size):
            rs = by_size[size]
            p = {"size": size, "params": rs[0]["params"], "seeds": len(rs)}
            for m in _MEASURES[side]:
                p[m] = median_ci([r[m] for r in rs])
            points.append(p)
        curves.append({"side": side, "l": l, "points": points})
        need = needs.setdefault(l, {"l": l, "pieces_bound": 3 * (2**l - 1)})
        for m in _MEASURES[side][:2]:
            need[f"{side}_{m}"] = _needed(points, m, level)
            need[f"{side}_max_params"] = max(p["params"] for p in points)
    gap = [
        {
            "l": l,
            "width": m,
            "best": median_ci([r["best"] for r in rs]),
            "lower": median_ci([r["lower"] for r in rs]),
            "lower_over_best": median_ci([r["lower"] / r["best"] for r in rs]),
            "min_lower_over_best": min(r["lower"] / r["best"] for r in rs),
        }
        for (l, m), rs in sorted(gaps.items())
    ]
    return {
        "level": level,
        "curves": curves,
        "needed": [needs[l] for l in sorted(needs)],
        "relaxation_gap": gap,
    }
