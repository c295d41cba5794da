"""One mixed-integer programme per instance (scipy.optimize.milp, i.e. HiGHS), the method of
Pensia et al.'s published code (which used Gurobi).

    minimise t  subject to  -t <= sum_i c_i x_i - target <= t,  x_i in {0, 1},  t >= 0.

HiGHS stops once its gap falls under its default absolute tolerance (1e-6), which scipy does not
expose, so on instances whose optimum is below ~1e-6 it may return a slightly worse subset
(docs/performance.md measures how often). The exact solver is the ground truth.
"""

from __future__ import annotations

import numpy as np
import torch


def milp(coeffs: torch.Tensor, targets: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """(m, k) bool; one HiGHS solve per row, on CPU, whatever device the input is on."""
    chosen = torch.zeros(coeffs.shape, dtype=torch.bool)
    for r in range(coeffs.shape[0]):
        cols = valid[r].nonzero().squeeze(1).cpu()  # (c,)
        if cols.numel():
            c = coeffs[r].to("cpu", torch.float64)[cols].numpy()
            chosen[r, cols] = torch.from_numpy(_solve_one(c, float(targets[r])))
    return chosen.to(coeffs.device)


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
