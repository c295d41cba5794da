"""How tight is each bound: the samples per weight n a construction really needs, beside the n its
theorem asks for, and the empirical constant C in `n = C·log(d_{i-1} d_i l / min(ε, δ))`.

Also the coefficient Monte Carlo behind the subset-sum lemma (`coefficient_success`): how often
the best subset of n random coefficients lands within ε of a Uniform[-1, 1] target.

Definitions (every number here is one of these):
- Per seed s, the threshold `N_s` = the smallest n (same for every layer) at which
  `approx.run.run(..., n=n, seed=s)` has certified error ≤ ε. Found by doubling then bisection,
  which assumes success is monotone in n for a seed. It is in expectation, not draw by draw: a
  seed's random network is redrawn at every n, so `N_s` is the bisection's answer, and a seed
  that succeeds at some smaller n than `N_s` is possible.
- `n_needed` = the smallest n at which at least (1 − δ) of the seeds succeed: the
  ⌈(1 − δ)·S⌉-th smallest `N_s`, an estimate of the (1 − δ)-quantile of `N`. Its 95% interval
  is the distribution-free order-statistic interval for that quantile (binomial counts); its
  upper end is "unbounded" when S seeds cannot bound it (e.g. S = 20, δ = 0.1 needs S ≥ 36).
- `L` = `max_i ln(d_{i-1} d_i l / min(ε, δ))`, the log term of Pensia et al.'s Theorem 1 for
  the layer that needs most (n is the same for every layer here). `C_emp = n_needed / L`.
- `theorem_n` = the construction's own `size(widths, ε, δ, C)` with the explicit C given
  (default: the construction's `default_C`; Pensia's is our calibration); `ratio` =
  max(theorem_n) / n_needed (> 1: the theorem asks for more than needed).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .constructions import CONSTRUCTIONS, get_construction
from .errors import InvalidArgument, check_open_unit, check_positive_int

Z95 = 1.959963984540054  # standard normal 0.975 quantile
DISTRIBUTIONS = ("uniform", "product", "pensia")


# ------------------------------------------------------------------- coefficient Monte Carlo


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% for the default z)."""
    if trials < 1 or not 0 <= successes <= trials:
        raise InvalidArgument(f"successes={successes}, trials={trials}: need 0 <= s <= t, t >= 1")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    # exact ends at 0 and 1 (the formula gives them up to rounding)
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == trials else min(1.0, centre + half)
    return lo, hi


@dataclass(frozen=True)
class CoefficientSuccess:
    """`successes` of `trials` targets z ~ U[-1, 1] had an optimal subset within `eps`.

    `error_quantiles` maps "0.5", "0.9", "0.99", "0.999", "1" to quantiles of the optimal
    error over the trials; `mean_valid` is the mean number of usable coefficients."""

    distribution: str
    n: int
    eps: float
    trials: int
    seed: int
    successes: int
    mean_valid: float
    error_quantiles: dict[str, float]
    seconds: float
    versions: dict[str, str]

    @property
    def rate(self) -> float:
        return self.successes / self.trials

    def wilson(self) -> tuple[float, float]:
        return wilson_interval(self.successes, self.trials)

    def to_json(self) -> dict:
        return {**asdict(self), "rate": self.rate, "wilson95": list(self.wilson())}


def sample_coefficients(distribution: str, n: int, trials: int, generator):
    """`(coeffs (trials, k), valid (trials, k))` float64, for samples per weight n:

    - "uniform": k = n coefficients U[-1, 1] (Lueker's setting; Burkholz's plain case).
    - "product": k = n products a·b of two independent U[-1, 1] (a path through one hidden unit
      of a depth-2l net, sign of the input ignored; Burkholz's product case).
    - "pensia": k = 2n products a·b, usable only where a > 0 (Pensia et al.'s Lemma 2 layout:
      2n hidden units per input coordinate, the half with the wrong sign pruned, so
      Binomial(2n, ½) usable, mean n; the usable products are U[0,1]·U[-1,1])."""
    import torch

    if distribution not in DISTRIBUTIONS:
        raise InvalidArgument(f"distribution={distribution!r} is not one of {DISTRIBUTIONS}")

    def u(k: int):
        return torch.rand((trials, k), generator=generator, dtype=torch.float64) * 2 - 1

    if distribution == "uniform":
        c = u(n)
        return c, torch.ones_like(c, dtype=torch.bool)
    if distribution == "product":
        c = u(n) * u(n)
        return c, torch.ones_like(c, dtype=torch.bool)
    a, b = u(2 * n), u(2 * n)
    return a * b, a > 0


def coefficient_success(
    distribution: str,
    n: int,
    eps: float,
    *,
    trials: int = 10_000,
    seed: int = 0,
    solver: str = "exact",
) -> CoefficientSuccess:
    """Monte Carlo of the random subset-sum lemma: draw `trials` targets z ~ U[-1, 1] and, for
    each, fresh coefficients from `distribution` (see `sample_coefficients`); solve exactly;
    count the targets whose optimal error is ≤ eps. Seeded: same arguments, same counts."""
    import numpy as np
    import torch

    from . import __version__
    from .random_nets import spawn_seeds
    from .subset_sum import solve

    check_positive_int("n", n)
    check_positive_int("trials", trials)
    check_open_unit("eps", eps)
    t0 = time.perf_counter()
    s_coeffs, s_targets = spawn_seeds(seed, 2)
    coeffs, valid = sample_coefficients(
        distribution, n, trials, torch.Generator().manual_seed(s_coeffs)
    )
    targets = torch.rand(trials, generator=torch.Generator().manual_seed(s_targets)) * 2 - 1
    err = solve(coeffs, targets.double(), valid, method=solver).error  # (trials,)
    qs = {"0.5": 0.5, "0.9": 0.9, "0.99": 0.99, "0.999": 0.999, "1": 1.0}
    quant = torch.quantile(err, torch.tensor(list(qs.values()), dtype=err.dtype))
    return CoefficientSuccess(
        distribution=distribution,
        n=n,
        eps=float(eps),
        trials=trials,
        seed=seed,
        successes=int((err <= eps).sum()),
        mean_valid=float(valid.sum(1).double().mean()),
        error_quantiles={k: float(v) for k, v in zip(qs, quant, strict=True)},
        seconds=time.perf_counter() - t0,
        versions={
            "approx": __version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    )


# ------------------------------------------------------------------------ thresholds and C


def log_term(widths: Sequence[int], eps: float, delta: float) -> float:
    """`max_i ln(d_{i-1} d_i l / min(ε, δ))` (Pensia et al. 2020, Theorem 1's log factor)."""
    depth = len(widths) - 1
    return max(math.log(a * b * depth / min(eps, delta)) for a, b in itertools.pairwise(widths))


def order_statistic_indices(s: int, p: float, level: float = 0.95) -> tuple[int, int, int]:
    """1-based (k, l, u) for the p-quantile from s values: the estimate is the k-th smallest,
    k = ⌈p·s⌉; [l-th, u-th smallest] covers the quantile with probability ≥ `level`, from
    B ~ Binomial(s, p) (the count of values below the quantile): l is the largest index with
    P(B < l) ≤ α, u the smallest with P(B ≥ u) ≤ α, α = (1 − level)/2. l = 0 or u = s + 1
    mean that side cannot be bounded by s values."""
    from scipy.stats import binom

    k = max(1, math.ceil(p * s - 1e-12))
    alpha = (1 - level) / 2
    l = max((j for j in range(1, s + 1) if binom.cdf(j - 1, s, p) <= alpha), default=0)
    u = min((j for j in range(1, s + 1) if binom.sf(j - 1, s, p) <= alpha), default=s + 1)
    return k, l, u


def quantile_interval(values: Sequence[float], p: float, level: float = 0.95):
    """(estimate, lo, hi) of the p-quantile from a sample (`order_statistic_indices`); lo is
    -inf and hi is inf where the sample cannot bound them. Values may be inf themselves."""
    v = sorted(values)
    k, l, u = order_statistic_indices(len(v), p, level)
    lo = v[l - 1] if l >= 1 else -math.inf
    hi = v[u - 1] if u <= len(v) else math.inf
    return v[k - 1], lo, hi


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


def _probe_config(base: dict, construction: str, widths, eps, n: int, seed: int) -> dict:
    return {
        "kind": "run",
        "construction": construction,
        "widths": list(widths),
        "eps": float(eps),
        "n": n,
        "seed": seed,
        **base,
    }


def thresholds(
    runner,
    construction: str,
    widths: Sequence[int],
    eps: float,
    seeds: Sequence[int],
    *,
    start: int,
    n_max: int,
    base: dict,
) -> tuple[list[float], int]:
    """(`N_s` for every seed, inf where no n within reach succeeds; the reach). All seeds'
    probes run in one batch per step. The reach is n_max, lowered to n − 1 when a run at n is
    refused (InvalidArgument: e.g. more coefficients than the exact solver takes)."""
    lo = {s: 0 for s in seeds}  # largest n known to fail
    hi: dict[int, int | None] = {s: None for s in seeds}  # smallest n known to succeed
    reach = n_max
    nxt = {s: min(start, reach) for s in seeds}
    while nxt:
        configs = [_probe_config(base, construction, widths, eps, n, s) for s, n in nxt.items()]
        rows = runner.run(configs)
        for (_, n), row in zip(nxt.items(), rows, strict=True):
            if row.status != "ok":
                if n == 1:
                    raise InvalidArgument(f"tightness probe {row.config} failed: {row.error}")
                reach = min(reach, n - 1)
        new = {}
        for (s, n), row in zip(nxt.items(), rows, strict=True):
            if row.status == "ok" and row.result["certified_error"] <= eps:
                hi[s] = n
            elif row.status == "ok":
                lo[s] = n
            if hi[s] is None:
                if lo[s] < reach:
                    new[s] = min(max(2 * lo[s], 1), reach)
            elif hi[s] - lo[s] > 1:
                new[s] = (lo[s] + hi[s]) // 2
        nxt = new
    return [math.inf if hi[s] is None else float(hi[s]) for s in seeds], reach


def tightness(
    runner,
    construction: str,
    widths: Sequence[int],
    eps: float,
    delta: float,
    *,
    seeds: int = 40,
    n_max: int = 30,
    C: float | None = None,
    solver: str = "exact",
) -> Tightness:
    """Measure one row: per-seed thresholds with `runner` (an `approx.sweep.Runner`, whose store
    keeps every probe), their (1 − δ)-quantile with its interval, and the theorem's n."""
    cons = get_construction(construction)
    check_open_unit("eps", eps)
    check_open_unit("delta", delta)
    check_positive_int("seeds", seeds)
    check_positive_int("n_max", n_max)
    widths = tuple(widths)
    C = cons.default_C if C is None else C
    theorem_n = cons.size(widths, eps, delta, C)
    # Only the certified error is needed: the empirical one is kept cheap.
    base = {
        "delta": float(delta),
        "solver": solver,
        "dtype": "float64",
        "empirical_samples": 64,
        "ascent_steps": 0,
        "rescale": False,
    }
    ths, reach = thresholds(
        runner,
        construction,
        widths,
        eps,
        range(seeds),
        start=max(theorem_n),
        n_max=n_max,
        base=base,
    )
    est, lo, hi = quantile_interval(ths, 1 - delta)
    L = log_term(widths, eps, delta)
    return Tightness(
        construction=construction,
        widths=widths,
        eps=float(eps),
        delta=float(delta),
        seeds=seeds,
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
    )


@dataclass(frozen=True)
class CFit:
    """Least-squares C through the origin in `n_needed = C·L` over `rows`, with a 95% interval
    (t on the residuals; from the rows' own intervals when only one row is finite)."""

    C: float
    lo: float
    hi: float
    rows: int


def fit_C(rows: Sequence[Tightness]) -> CFit:
    from scipy.stats import t as student_t

    pts = [(r.L, r.n_needed) for r in rows if math.isfinite(r.n_needed)]
    if not pts:
        return CFit(math.nan, math.nan, math.nan, 0)
    if len(pts) == 1:
        (r,) = [r for r in rows if math.isfinite(r.n_needed)]
        return CFit(r.C_emp, r.C_lo, r.C_hi, 1)
    sll = sum(L * L for L, _ in pts)
    c = sum(L * n for L, n in pts) / sll
    k = len(pts)
    s2 = sum((n - c * L) ** 2 for L, n in pts) / (k - 1)
    half = student_t.ppf(0.975, k - 1) * math.sqrt(s2 / sll)
    return CFit(c, c - half, c + half, k)


# ---------------------------------------------------------------------------------- tables

COLUMNS = (
    "construction",
    "target",
    "eps",
    "delta",
    "seeds",
    "n needed",
    "n 95% CI",
    "theorem n",
    "ratio",
    "L",
    "C_emp",
    "C_emp 95% CI",
)


def _cells(r: Tightness) -> list[str]:
    """Table cells; a row whose n_needed exceeds n_max shows the bounds that implies."""
    top = max(r.theorem_n)
    if math.isinf(r.n_needed):
        needed, ratio, c_emp = f"> {r.n_max}", f"< {top / r.n_max:.3g}", f"> {r.n_max / r.L:.2f}"
    else:
        needed, ratio, c_emp = f"{r.n_needed:g}", f"{r.ratio:.2f}", f"{r.C_emp:.2f}"

    def bound(x: float, fmt: str, scale: float = 1.0) -> str:
        if math.isinf(x):
            return f"> {r.n_max / scale:{fmt}}" if x > 0 else "-"
        return f"{x / scale:{fmt}}"

    n_ci = f"[{bound(r.n_lo, 'g')}, {'unbounded' if math.isinf(r.n_hi) else f'{r.n_hi:g}'}]"
    c_hi = "unbounded" if math.isinf(r.n_hi) else f"{r.n_hi / r.L:.2f}"
    c_ci = f"[{bound(r.n_lo, '.2f', r.L)}, {c_hi}]"
    return [
        r.construction,
        "-".join(map(str, r.widths)),
        f"{r.eps:g}",
        f"{r.delta:g}",
        str(r.seeds),
        needed,
        n_ci,
        ",".join(map(str, r.theorem_n)) + f" (C={r.C:g})",
        ratio,
        f"{r.L:.2f}",
        c_emp,
        c_ci,
    ]


def format_table(rows: Sequence[Tightness], fmt: str = "md") -> str:
    """The tightness table as Markdown ("md", with the C fit below) or CSV ("csv")."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(_cells(r) for r in rows)
        return buf.getvalue()
    if fmt != "md":
        raise InvalidArgument(f"format={fmt!r} is not 'md' or 'csv'")
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(_cells(r)) + " |" for r in rows),
        "",
        "n needed: smallest n (all layers) with certified error <= eps in >= (1-delta) of seeds;",
        "theorem n: the construction's formula with the C shown; ratio = theorem n / n needed;",
        "L = max_i ln(d_{i-1} d_i l / min(eps, delta)); C_emp = n needed / L.",
    ]
    for name in sorted({r.construction for r in rows}):
        fit = fit_C([r for r in rows if r.construction == name])
        if fit.rows:
            hi = "unbounded" if math.isinf(fit.hi) else f"{fit.hi:.2f}"
            lines.append(
                f"{name}: fitted C = {fit.C:.2f}, 95% CI [{fit.lo:.2f}, {hi}] over {fit.rows} "
                f"row(s) (n = C·L through the origin); "
                f"default C = {get_construction(name).default_C:g}"
            )
    return "\n".join(lines) + "\n"


def constructions_named(names: Sequence[str]) -> list[str]:
    """`["all"]` -> every registered construction; otherwise the names, checked."""
    if list(names) == ["all"]:
        return sorted(CONSTRUCTIONS)
    for n in names:
        get_construction(n)
    return list(names)
