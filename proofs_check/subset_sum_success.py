"""Random subset sum at a given n: does the optimum reach ε as often as the reference table says?

The subset-sum lemma (Lueker 1998; da Cunha et al. 2022) is asymptotic with an unstated
constant, so what can be checked is the measured table in docs/references.md ("Measured
reference values (this project)"): for n i.i.d.
coefficients ("uniform": U[−1, 1]; "product": a product of two such, the 2l constructions' law)
and a target z ~ U[−1, 1], the fraction of instances whose optimal error min_S |Σ_S c − z| is
≤ ε. Also Burkholz 2022's shipped statistics (n = 15, ε = 0.01), assuming the same target law.

The optimum is exact (every subset accounted for; `_subset_sum`), computed independently of the
library; `check_library_solver` checks `approx.engine.subset_sum.solve(method="exact")` against
it on the same kind of instances (pass iff they agree on every instance).

Pass rule per row: for every ε, the Clopper–Pearson interval of our estimate and that of the
published one (from its stated sample size) overlap, each at confidence 1 − α/(2k) for k
entries; if both estimate the same probability the row fails with probability ≤ α.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import torch

from approx.basics.errors import InvalidArgument, check_positive_int
from approx.basics.statistics import clopper_pearson
from approx.engine.subset_sum import solve

from ._stats import fmt_interval
from ._subset_sum import mitm_errors
from .result import CheckResult, status_of

Law = Literal["uniform", "product"]
LAWS: tuple[str, ...] = ("uniform", "product")


@dataclass(frozen=True)
class PublishedRow:
    source: str
    law: Law
    n: int
    success: Mapping[float, float]  # eps -> fraction of instances with optimal error <= eps
    samples: int


_TABLE = "docs/references.md, measured reference table (exact optimum, 10,000 instances)"
_BURKHOLZ = "Burkholz 2022 (arXiv 2205.02321), shipped statistics (100,000 targets)"
_EPS = (1e-2, 1e-3, 1e-4, 1e-5)


def _row(values: tuple[float, ...]) -> dict[float, float]:
    return dict(zip(_EPS, values, strict=True))


PUBLISHED: tuple[PublishedRow, ...] = (
    PublishedRow(_TABLE, "uniform", 12, _row((0.974, 0.791, 0.185, 0.021)), 10_000),
    PublishedRow(_TABLE, "uniform", 16, _row((0.997, 0.988, 0.870, 0.248)), 10_000),
    PublishedRow(_TABLE, "uniform", 20, _row((0.999, 0.999, 0.991, 0.920)), 10_000),
    PublishedRow(_TABLE, "uniform", 24, _row((1.000, 1.000, 1.000, 0.994)), 10_000),
    PublishedRow(_TABLE, "product", 16, _row((0.976, 0.961, 0.871, 0.346)), 10_000),
    PublishedRow(_BURKHOLZ, "uniform", 15, {1e-2: 1 - 0.0040}, 100_000),
    PublishedRow(_BURKHOLZ, "product", 15, {1e-2: 1 - 0.0355}, 100_000),
)


def sample_instances(law: Law, n: int, samples: int, generator: torch.Generator):
    """(samples, n) coefficients of the law and (samples,) targets ~ U[−1, 1], float64."""
    coeffs = torch.rand(samples, n, generator=generator, dtype=torch.float64) * 2 - 1
    if law == "product":
        coeffs = coeffs * (torch.rand(samples, n, generator=generator, dtype=torch.float64) * 2 - 1)
    targets = torch.rand(samples, generator=generator, dtype=torch.float64) * 2 - 1
    return coeffs, targets


def check_subset_sum_success(
    row: PublishedRow, samples: int = 2_000, seed: int = 0, alpha: float = 1e-3
) -> CheckResult:
    """Our success fractions at n agree with the published row within sampling error."""
    if row.law not in LAWS:
        raise InvalidArgument(f"law={row.law!r} must be one of {LAWS}")
    check_positive_int("samples", samples)
    generator = torch.Generator().manual_seed(seed)
    coeffs, targets = sample_instances(row.law, row.n, samples, generator)
    errors = mitm_errors(coeffs, targets)
    solver = "exact meet-in-the-middle"
    k = len(row.success)
    confidence = 1 - alpha / (2 * k)
    parts, bad = [], []
    for eps, claimed in row.success.items():
        hits = int((errors <= eps).sum())
        ours = clopper_pearson(hits, samples, confidence)
        claimed_hits = round(claimed * row.samples)
        theirs = clopper_pearson(claimed_hits, row.samples, confidence)
        overlap = ours[0] <= theirs[1] and theirs[0] <= ours[1]
        text = f"eps={eps:g}: {hits / samples:.4f} {fmt_interval(*ours)} vs {claimed:.3f}"
        parts.append(text)
        if not overlap:
            bad.append(text + f" {fmt_interval(*theirs)}")
    ok = not bad
    detail = f"N = {samples}, {solver}: " + (
        "; ".join(parts) if ok else "NO OVERLAP " + "; ".join(bad)
    )
    return CheckResult(
        name=f"subset_sum.success.{row.law}.n{row.n}",
        paper=row.source,
        statement=(
            f"{row.law} coefficients, n = {row.n}, z ~ U[-1,1]: P(opt error <= eps) = "
            + ", ".join(f"{v:g} (eps={e:g})" for e, v in row.success.items())
        ),
        method="monte carlo",
        status=status_of(ok),
        detail=detail,
        config={
            "law": row.law,
            "n": row.n,
            "samples": samples,
            "seed": seed,
            "alpha": alpha,
            "claimed_samples": row.samples,
            "solver": solver,
        },
    )


def check_library_solver(law: Law, n: int, samples: int = 2_000, seed: int = 0) -> CheckResult:
    """approx.subset_sum.solve(method="exact") returns the optimal error on every instance.

    Random instances as in the table; the reference is `mitm_errors`, itself tested against
    listing all 2^n subsets. Any disagreement beyond 1e-9 fails (both are exact in float64)."""
    if law not in LAWS:
        raise InvalidArgument(f"law={law!r} must be one of {LAWS}")
    check_positive_int("samples", samples)
    generator = torch.Generator().manual_seed(seed)
    coeffs, targets = sample_instances(law, n, samples, generator)
    reference = mitm_errors(coeffs, targets)
    result = solve(coeffs, targets, None, method="exact")
    gap = result.error - reference  # > 0: the library missed a better subset
    wrong = gap.abs() > 1e-9
    ok = not bool(wrong.any())
    if ok:
        detail = f"N = {samples} instances, max |library - exact| = {float(gap.abs().max()):.2e}"
    else:
        i = int(wrong.nonzero()[0])
        detail = (
            f"N = {samples}: {int(wrong.sum())} instances differ, max gap {float(gap.max()):.3g}; "
            f"e.g. instance {i}: library error {float(result.error[i]):.3g}, exact "
            f"{float(reference[i]):.3g}"
        )
    return CheckResult(
        name=f"subset_sum.library_solver.{law}.n{n}",
        paper="approx.engine.subset_sum (the solver the constructions use)",
        statement=f"solve(method='exact') is optimal on random {law} instances, n = {n}",
        method="monte carlo",
        status=status_of(ok),
        detail=detail,
        config={"law": law, "n": n, "samples": samples, "seed": seed},
    )
