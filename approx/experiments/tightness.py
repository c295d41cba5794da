"""How tight is each bound: the samples per weight n a construction really needs, beside the n its
theorem asks for, and the empirical constant C in `n = C·log(d_{i-1} d_i l / min(ε, δ))`.

Definitions (every number here is one of these):
- Per seed s, the threshold `N_s` = the smallest n (same for every layer) at which
  `approx.pipeline.run.run(..., n=n, seed=s, error=...)` has its upper value `error_upper`
  ≤ ε: the tightest upper value the probe affords, named by `counted_by` — "true" (the
  sandwich's exact sup: 1 or 2 inputs), "sandwich upper" (its branch and bound), or
  "certified" (`error="certified"`). A looser upper value counts more failures and so
  inflates n and C. Found by doubling
  then bisection, which assumes success is monotone in n for a seed. It is in expectation,
  not draw by draw: a seed's random network is redrawn at every n, so `N_s` is the
  bisection's answer, and a seed that succeeds at some smaller n than `N_s` is possible.
- `n_needed` = the smallest n at which at least (1 − δ) of the seeds succeed: the
  ⌈(1 − δ)·S⌉-th smallest `N_s`, an estimate of the (1 − δ)-quantile of `N`. Its 95% interval
  is the distribution-free order-statistic interval for that quantile (binomial counts); its
  upper end is "unbounded" when S seeds cannot bound it (e.g. S = 20, δ = 0.1 needs S ≥ 36).
- `L` = the construction's own width formula at C = 1, before rounding up, for the layer
  that needs most (n is the same for every layer here), where that formula is C times a term:
  for Pensia et al.'s Theorem 1 `max_i ln(d_{i-1} d_i l / min(ε, δ))`, for Malach's our
  derivation's `ln(2Σd d/δ)/(2p)` (`approx.constructions.malach`), Orseau's likewise.
  `C_emp = n_needed / L` is then the constant of that construction's formula, compared only
  with that construction's C. Where the formula is not linear in C (Natale's, Burkholz's),
  `L` is Pensia's log term and `C_emp` a constant of Pensia's formula; `matching_C` gives the
  C of the construction's own formula.
- `theorem_n` = the construction's own `size(widths, ε, δ, C)` with the explicit C given
  (default: the construction's `default_C`; Pensia's is our calibration); `ratio` =
  max(theorem_n) / n_needed (> 1: the theorem asks for more than needed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..basics import defaults
from ..basics.errors import (
    InvalidArgument,
    check_open_unit,
    check_positive_int,
    check_positive_number,
)
from ..basics.statistics import fit_through_origin, quantile_interval
from ..basics.units import format_widths
from ..constructions import CONSTRUCTIONS, get_construction
from ..engine.subset_sum import SOLVERS
from .runner import Runner
from .tightness_formula import configured, formula_unit, matching_C, own_formula
from .tightness_probes import check_probes, probe_base, probe_config, probe_error

__all__ = [
    "CFit",
    "Tightness",
    "check_row",
    "constructions_named",
    "fit_C",
    "formula_unit",
    "matching_C",
    "own_formula",
    "probe_error",
    "thresholds",
    "tightness",
    "tightness_from_results",
]


@dataclass(frozen=True)
class Tightness:
    """One row of the tightness table (see the module docstring for every definition)."""

    construction: str
    widths: tuple[int, ...]
    eps: float
    delta: float
    seeds: int
    thresholds: tuple[float, ...]  # N_s per seed; inf where n_max was not enough
    n_needed: float  # inf if more than n_max
    n_lo: float
    n_hi: float
    n_max: int  # the reach: largest n that could be run (see `thresholds`)
    theorem_n: tuple[int, ...]
    C: float
    ratio: float
    L: float
    C_emp: float
    C_lo: float
    C_hi: float
    counted_by: str = "certified"  # which upper value counted failures (module docstring)
    # a convolutional target: its sweep spec as canonical JSON (approx.experiments.conv_targets;
    # `widths` are then its flattened feature counts); "" for a random dense target
    target: str = ""


def _upper(result: dict) -> float:
    """The probe's upper value (runs stored before `error_upper` existed: certified)."""
    upper = result.get("error_upper")
    return result["certified_error"] if upper is None else upper


def _counted_by(methods: set[str]) -> str:
    """The loosest upper value any probe of a row used, in words."""
    if not methods or methods == {"exact"}:
        return "true"
    return "certified" if "certified" in methods else "sandwich upper"


def thresholds(
    runner: Runner,
    construction: str,
    widths: Sequence[int],
    eps: float,
    seeds: Sequence[int],
    *,
    start: int,
    n_max: int,
    base: dict,
    settled=None,
    methods: set[str] | None = None,
    target: str = "",
) -> tuple[list[float], int]:
    """(`N_s` for every seed, inf where no n within reach succeeds; the reach). All seeds'
    probes run in one batch per step. The reach is n_max, lowered to n − 1 when a run at n is
    refused (InvalidArgument: e.g. more coefficients than the exact solver takes). A run
    refused at n = 1 leaves nothing to probe: InvalidArgument, its failed point kept in the
    store as a sweep keeps one (readers skip it; a rerun refuses again from the store; what a
    plan refuses is refused before anything runs: `check_row`). `settled(k)` is called as k
    more seeds' thresholds are known (a progress bar's update); `methods` collects the probes'
    `error_method`s."""
    lo = {s: 0 for s in seeds}  # largest n known to fail
    hi: dict[int, int | None] = {s: None for s in seeds}  # smallest n known to succeed
    reach = n_max
    nxt = {s: min(start, reach) for s in seeds}
    while nxt:
        configs = [
            probe_config(base, construction, widths, eps, n, s, target) for s, n in nxt.items()
        ]
        rows = runner.run(configs)
        for (_, n), row in zip(nxt.items(), rows, strict=True):
            if row.status != "ok":
                if n == 1:  # no n to probe: the failed probe stays stored, as a sweep's does
                    raise InvalidArgument(
                        f"tightness: {construction}'s probe at n = 1 (widths "
                        f"{format_widths(widths)}, eps={eps:g}, seed {row.config['seed']}) "
                        f"failed, stored as a failed point: {row.error}"
                    )
                reach = min(reach, n - 1)
        new = {}
        for (s, n), row in zip(nxt.items(), rows, strict=True):
            if row.status == "ok" and methods is not None:
                methods.add(row.result.get("error_method") or "certified")
            if row.status == "ok" and _upper(row.result) <= eps:
                hi[s] = n
            elif row.status == "ok":
                lo[s] = n
            if hi[s] is None:
                if lo[s] < reach:
                    new[s] = min(max(2 * lo[s], 1), reach)
            elif hi[s] - lo[s] > 1:
                new[s] = (lo[s] + hi[s]) // 2
        if settled is not None:
            settled(len(nxt) - len(new))
        nxt = new
    return [math.inf if hi[s] is None else float(hi[s]) for s in seeds], reach


def check_row(
    construction: str,
    widths: Sequence[int],
    eps: float,
    delta: float,
    *,
    seeds: int = defaults.TIGHTNESS_SEEDS,
    n_max: int | None = None,
    C: float | None = None,
    solver: str = defaults.SOLVER,
    error: str = defaults.TIGHTNESS_ERROR,
    target: str = "",
):
    """Every argument of one row checked (InvalidArgument naming it), and its probe at n = 1
    planned (`check_probes`), before anything runs or is stored: (construction, widths, C, the
    theorem's n, n_max). `n_max` None: the construction's entry of
    `defaults.TIGHTNESS_N_MAX_BY_CONSTRUCTION`, else `defaults.TIGHTNESS_N_MAX`."""
    cons = configured(construction, target)
    if n_max is None:
        n_max = defaults.TIGHTNESS_N_MAX_BY_CONSTRUCTION.get(construction, defaults.TIGHTNESS_N_MAX)
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_int("seeds", seeds)
    if seeds > defaults.MAX_TIGHTNESS_SEEDS:
        raise InvalidArgument(
            f"seeds={seeds} is more than the {defaults.MAX_TIGHTNESS_SEEDS:,} a row may run "
            "(every seed runs at every probed n)"
        )
    check_positive_int("n_max", n_max)
    accepted = getattr(cons, "solvers", SOLVERS)  # the run's own check, before a probe is stored
    if solver not in accepted:
        raise InvalidArgument(f"solver={solver!r} is not one of {construction}'s {list(accepted)}")
    if error not in defaults.ERROR_METHODS:
        raise InvalidArgument(f"error={error!r} is not one of {list(defaults.ERROR_METHODS)}")
    widths = tuple(widths)
    if len(widths) < 2 or any(
        isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths
    ):
        raise InvalidArgument(f"widths={list(widths)} must be >= 2 positive integers")
    if C is not None:
        check_positive_number("C", C)
    C = cons.default_C if C is None else C
    theorem_n = cons.size(widths, eps, delta, C)
    base = probe_base(construction, widths, delta, solver, error, target)
    check_probes(construction, widths, eps, base, target)  # what every probe would refuse
    return cons, widths, C, theorem_n, n_max


def tightness(
    runner: Runner,
    construction: str,
    widths: Sequence[int],
    eps: float,
    delta: float,
    *,
    seeds: int = defaults.TIGHTNESS_SEEDS,
    n_max: int | None = None,
    C: float | None = None,
    solver: str = defaults.SOLVER,
    error: str = defaults.TIGHTNESS_ERROR,
    settled=None,
    target: str = "",
) -> Tightness:
    """Measure one row: per-seed thresholds with `runner` (whose store keeps every probe),
    their (1 − δ)-quantile with its interval, and the theorem's n. `n_max` None: see
    `check_row`. `error`: how each probe measures its upper value ("sandwich": the tightest
    affordable, "certified"); `settled`: see `thresholds`."""
    _, widths, C, theorem_n, n_max = check_row(
        construction, widths, eps, delta, seeds=seeds, n_max=n_max, C=C, solver=solver,
        error=error, target=target,
    )  # fmt: skip
    base = probe_base(construction, widths, delta, solver, error, target)
    methods: set[str] = set()
    ths, reach = thresholds(
        runner,
        construction,
        widths,
        eps,
        range(seeds),
        start=max(theorem_n),
        n_max=n_max,
        base=base,
        settled=settled,
        methods=methods,
        target=target,
    )
    return _row(construction, widths, eps, delta, ths, reach, C, methods, target)


def _row(
    construction, widths, eps, delta, ths, reach, C, methods: set[str], target: str = ""
) -> Tightness:
    """The table row of these per-seed thresholds (`C` None: the construction's default;
    `methods`: the probes' `error_method`s)."""
    cons = configured(construction, target)
    C = cons.default_C if C is None else C
    theorem_n = cons.size(tuple(widths), eps, delta, C)
    est, lo, hi = quantile_interval(ths, 1 - delta)
    L = formula_unit(construction, widths, eps, delta, target)
    return Tightness(
        construction=construction,
        widths=tuple(widths),
        eps=float(eps),
        delta=float(delta),
        seeds=len(ths),
        thresholds=tuple(ths),
        n_needed=est,
        n_lo=lo,
        n_hi=hi,
        n_max=reach,
        theorem_n=theorem_n,
        C=float(C),
        ratio=max(theorem_n) / est,
        L=L,
        C_emp=est / L,
        C_lo=lo / L,
        C_hi=hi / L,
        counted_by=_counted_by(methods),
        target=target,
    )


def tightness_from_results(
    results: Sequence[dict], targets: Sequence[str] | None = None
) -> list[Tightness]:
    """The tightness rows a store's run results (`RunResult.to_json()`) settle, without running
    anything: per (construction, target, eps, delta, solver, what counts) group, a seed's
    threshold `N_s` is settled when the group holds a success at n (the probe's upper value
    `error_upper` ≤ ε — the certified error for runs without one —, n the same for every
    layer) and a failure at n − 1 (or n = 1), as the probes of `approx tightness --store` leave
    it; a group is a row when it has ≥ 2 seeds, seeds 0..S−1, all settled. Probes counted by the
    certified bound and by the sandwich form separate groups. Theorem n at the default C.

    `targets`: per result, its convolutional target's spec as canonical JSON (the stored
    point's `target`; "" for a dense one). A conv result needs it — its geometry (kernels,
    padding) is not in the result — and is left out without it; so is a group whose target
    file cannot be read back here (moved, or changed since: its SHA-256 no longer matches)."""
    by_group: dict = {}
    for r, target in zip(results, targets or [""] * len(results), strict=True):
        ns = set(r["n_per_layer"])
        if len(ns) != 1 or (len(r.get("input_shape") or ()) == 3 and not target):
            continue
        method = r.get("error_method") or "certified"
        counted = "certified" if method == "certified" else "sandwich"
        key = (
            r["construction"], tuple(r["target_widths"]), r["eps"], r["delta"], r["solver"],
            counted, target,
        )  # fmt: skip
        group = by_group.setdefault(key, ({}, set()))
        group[1].add(method)
        group[0].setdefault(r["seed"], {})[ns.pop()] = _upper(r) <= r["eps"]
    rows = []
    for (name, widths, eps, delta, *_, target), (seeds, methods) in sorted(
        by_group.items(), key=lambda kv: kv[0]
    ):
        ths = _settled_thresholds(seeds)
        if ths is None:
            continue
        reach = max(n for outcome in seeds.values() for n in outcome)
        try:
            rows.append(_row(name, widths, eps, delta, ths, reach, None, methods, target))
        except InvalidArgument:  # (a target file not readable here)
            continue
    return rows


def _settled_thresholds(seeds: dict) -> list[float] | None:
    """Per seed 0..S−1 (S ≥ 2) the smallest n with a success whose n − 1 failed (or n = 1);
    None unless every seed is settled."""
    if len(seeds) < 2 or sorted(seeds) != list(range(len(seeds))):
        return None
    ths = []
    for s in range(len(seeds)):
        n = min((n for n, good in seeds[s].items() if good), default=None)
        if n is None or (n > 1 and seeds[s].get(n - 1) is not False):
            return None
        ths.append(float(n))
    return ths


@dataclass(frozen=True)
class CFit:
    """Least-squares C through the origin in `n_needed = C·L` over `rows`, with a 95% interval
    (t on the residuals; from the rows' own intervals when only one row is finite)."""

    C: float
    lo: float
    hi: float
    rows: int


def fit_C(rows: Sequence[Tightness]) -> CFit:
    finite = [r for r in rows if math.isfinite(r.n_needed)]
    if not finite:
        return CFit(math.nan, math.nan, math.nan, 0)
    if len(finite) == 1:
        (r,) = finite
        return CFit(r.C_emp, r.C_lo, r.C_hi, 1)
    c, lo, hi = fit_through_origin([(r.L, r.n_needed) for r in finite])
    return CFit(c, lo, hi, len(finite))


def constructions_named(names: Sequence[str]) -> list[str]:
    """`["all"]` -> every registered construction; otherwise the names, checked."""
    if list(names) == ["all"]:
        return sorted(CONSTRUCTIONS)
    for n in names:
        get_construction(n)
    return list(names)
