"""The coefficient Monte Carlo behind the random subset-sum lemma: how often the best subset of n
random coefficients lands within ε of a Uniform[-1, 1] target (`coefficient_success`)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from ..basics import defaults
from ..basics.devices import available_memory
from ..basics.errors import InvalidArgument, check_open_unit, check_positive_int
from ..basics.sampling import spawn_seeds
from ..basics.statistics import wilson_interval
from ..basics.units import format_bytes
from ..basics.versions import software_versions
from ..engine.subset_sum import solve

DISTRIBUTIONS = ("uniform", "product", "pensia")


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
    trials: int = defaults.MONTE_CARLO_TRIALS,
    seed: int = 0,
    solver: str = defaults.SOLVER,
) -> CoefficientSuccess:
    """Monte Carlo of the random subset-sum lemma: draw `trials` targets z ~ U[-1, 1] and, for
    each, fresh coefficients from `distribution` (see `sample_coefficients`); solve exactly;
    count the targets whose optimal error is ≤ eps. Seeded: same arguments, same counts."""
    check_positive_int("n", n)
    check_positive_int("trials", trials)
    check_open_unit("eps", eps)
    if distribution not in DISTRIBUTIONS:
        raise InvalidArgument(f"distribution={distribution!r} is not one of {DISTRIBUTIONS}")
    # coefficients, their factors, valid and chosen flags: ~34 bytes per coefficient
    need = trials * (2 * n if distribution == "pensia" else n) * 34
    free = available_memory(torch.device("cpu"))
    if free is not None and need > free:
        raise InvalidArgument(
            f"trials={trials:,} of n={n} coefficients need about {format_bytes(need)}, more "
            f"than the {format_bytes(free)} available; lower trials"
        )
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
        versions=software_versions(),
    )
