"""Failure rates of Pensia's construction on a 1x1 target layer W = [[w]], many random nets in
one batch (`scripts/narrow_layer_failures.py`; docs/proofs_check.md).

For a one-layer target with one input the error is known in closed form: the pruned pair
computes `P x` on `x ≥ 0` and `N x` on `x < 0`, so `sup_{|x| ≤ 1} |f(x) − g(x)| = max(|P − w|,
|N − w|)` (the true sup), while the certified bound is `min(sqrt((P−w)² + (N−w)²), |P−w| +
|P−N|, |N−w| + |P−N|)`. Each net's 2n units are matched by the construction itself
(`PENSIA.match`: exact subset sum per sign); a target of shape (trials, 1) puts every net in
one batch — the same distribution as `trials` runs of `approx run --widths 1,1` with W = [[w]]
(tested against `run` on the same weights), at a fraction of the cost.
"""

from __future__ import annotations

import torch

from ..constructions.pensia import PENSIA


def errors_of_units(
    w: float, a: torch.Tensor, b: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(true sup, certified bound), each `(trials,)`, for random pairs with unit input weights
    `a` and output weights `b`, each `(trials, 2n)`, matched by the construction."""
    products = (a * b)[:, None, :]  # (trials, 1, 2n): d_out = trials, d_in = 1
    target = torch.full((a.shape[0], 1), w, dtype=a.dtype)
    _, P, N = PENSIA.match(
        products, target, (a > 0)[:, None, :], (a < 0)[:, None, :], solver="exact", tolerance=None
    )
    dp, dn, gap = (P - w).abs()[:, 0], (N - w).abs()[:, 0], (P - N).abs()[:, 0]
    true = torch.maximum(dp, dn)
    certified = torch.minimum(torch.minimum(torch.hypot(dp, dn), dp + gap), dn + gap)
    return true, certified


def errors(w: float, n: int, trials: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`errors_of_units` for `trials` random pairs at `n`, Uniform[-1, 1] weights."""
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(trials, 2 * n, generator=g, dtype=torch.float64) * 2 - 1
    b = torch.rand(trials, 2 * n, generator=g, dtype=torch.float64) * 2 - 1
    return errors_of_units(w, a, b)
