"""One mixed-integer programme per instance (scipy.optimize.milp, i.e. HiGHS), the method of
Pensia et al.'s published code (which used Gurobi).

    minimise t  subject to  -t <= sum_i c_i x_i - target <= t,  x_i in {0, 1},  t >= 0.

HiGHS stops once its gap falls under its default absolute tolerance (1e-6), which scipy does not
expose, so on instances whose optimum is below ~1e-6 it may return a slightly worse subset
(docs/performance.md measures how often). The exact solver is the ground truth.

Its tolerances are absolute, so it is reliable only near unit magnitudes (docs/performance.md,
"HiGHS across magnitudes": on random instances it failed with "Solve error" from 1e6 up and
returned worse subsets than the optimum by up to half the scale from 1e9 up; below 1e-4 its 1e-6
gap is most of the scale). An instance whose largest |coefficient| or |target| lies outside
[`MILP_LOW`, `MILP_HIGH`] is therefore multiplied by the power of two that brings it into
[1/2, 1): exact in float64 (only exponents change; only a coefficient below ~2^-1021 of the
largest becomes subnormal and may round, by at most 2^-1075), so HiGHS solves the same problem,
and the caller computes value and error from the original coefficients and the chosen subset.
Every other instance reaches HiGHS bit for bit as given. Scaled, every finite instance that `solve`
accepts is one HiGHS solves: measured at magnitudes 1e15..1e307 and 1e-300..1e-323 (subnormal),
with rows spanning 1e300 between their largest and smallest coefficient, and targets 1e-300 to
1e300 times the coefficients (docs/performance.md, "HiGHS across magnitudes").
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ...basics.stdio import stdout_to_stderr

# the unscaled band, wide enough that every construction's instances stay in it (Burkholz's
# sigmoid bias instances reach ~1200·sqrt(d_0)); its top inside the magnitudes where HiGHS
# matched the exact optimum on every random instance measured (1 .. 1e5; one failure in 432
# at 1e6), its bottom where HiGHS's 1e-6 gap is ~1e-3 of the instance
MILP_LOW = 2.0**-10
MILP_HIGH = 2.0**17


def milp(coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """(m, k) bool; one HiGHS solve per row, on CPU, whatever device the input is on."""
    chosen = torch.zeros(coeffs.shape, dtype=torch.bool)
    for r in range(coeffs.shape[0]):
        cols = valid[r].nonzero().squeeze(1).cpu()  # (c,)
        if cols.numel():
            c = coeffs[r].to("cpu", torch.float64)[cols].numpy()
            target = float(targets[r])
            shift = highs_shift(c, target)
            if shift:
                c, target = np.ldexp(c, shift), math.ldexp(target, shift)
            chosen[r, cols] = torch.from_numpy(_solve_one(c, target))
    return chosen.to(coeffs.device)


def highs_shift(c: np.ndarray, target: float) -> int:
    """The exponent j of the power of two 2^j HiGHS gets the instance `(c, target)` multiplied
    by: 0 where its largest magnitude lies in [`MILP_LOW`, `MILP_HIGH`] (or is 0), else -e for
    that magnitude m·2^e, m in [1/2, 1), so that the scaled instance's lies in [1/2, 1). An
    exponent, not the factor: 2^j overflows float64 for a subnormal instance (j > 1023), and
    `ldexp` applies it without forming 2^j."""
    size = max(float(np.abs(c).max(initial=0.0)), abs(target))
    if size == 0.0 or MILP_LOW <= size <= MILP_HIGH:
        return 0
    return -math.frexp(size)[1]


def _solve_one(c: np.ndarray, target: float) -> np.ndarray:
    """(n,) bool, the subset HiGHS returns for one instance; variables are (x_1..x_n, t)."""
    # scipy.optimize (~0.6 s to import) only when this solver runs: `approx run` with any other
    # solver never loads it
    from scipy.optimize import Bounds, LinearConstraint
    from scipy.optimize import milp as scipy_milp

    n = c.size
    objective = np.zeros(n + 1)
    objective[n] = 1.0
    rows = np.stack([np.append(c, -1.0), np.append(-c, -1.0)])  # (2, n + 1)
    constraints = LinearConstraint(rows, -np.inf, [target, -target])
    integrality = np.append(np.ones(n), 0.0)
    bounds = Bounds(np.zeros(n + 1), np.append(np.ones(n), np.inf))
    with stdout_to_stderr():  # HiGHS writes a line of its own on some instances
        res = scipy_milp(
            objective,
            constraints=constraints,
            integrality=integrality,
            bounds=bounds,
            options={"mip_rel_gap": 0.0},
        )
    if res.x is None:
        raise RuntimeError(f"HiGHS found no solution for a {n}-coefficient instance: {res.message}")
    return res.x[:n] > 0.5
