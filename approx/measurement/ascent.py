"""The gradient ascents of the empirical search (`approx.measurement.empirical`): the projected
Adam polish of the best points on the sphere, and normalised gradient steps in the ball. Each
keeps every point's best value and where it was reached; a point's ascent is its own, so rows
may be split across threads."""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Callable

import torch

from ..basics import defaults

Map = Callable[[torch.Tensor], torch.Tensor]


def polish_in_pool(gap: Map, x, best, steps: int, pool: cf.Executor | None, threads: int):
    """`polish` of parts of the rows in parallel (each row's ascent is its own, and a part of
    at least `EMPIRICAL_MIN_ROWS` rows gives each row the same bits as any other part)."""
    rows = max(defaults.EMPIRICAL_MIN_ROWS, math.ceil(len(x) / threads))
    starts = range(0, len(x), rows)
    if pool is None or len(starts) == 1:
        return polish(gap, x, best, steps)
    parts = list(
        pool.map(lambda i: polish(gap, x[i : i + rows], best[i : i + rows], steps), starts)
    )
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def polish(gap: Map, x: torch.Tensor, best: torch.Tensor, steps: int):
    """Projected Adam ascent from `x` (Kingma & Ba, β = 0.9, 0.999; the step cosine-decayed to
    0), keeping each point's best (written out: `torch.optim` imports `torch._dynamo`)."""
    z = x.clone()
    m, v = torch.zeros_like(z), torch.zeros_like(z)
    x, best = x.clone(), best.clone()
    for t in range(1, steps + 1):
        z.requires_grad_(True)
        zn = z / z.norm(dim=1, keepdim=True)
        val = gap(zn)
        (grad,) = torch.autograd.grad(val.sum(), z)
        with torch.no_grad():
            better = val > best
            best = torch.where(better, val, best)
            x[better] = zn[better]
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad * grad
            lr = defaults.EMPIRICAL_POLISH_LR * (1 + math.cos(math.pi * (t - 1) / steps)) / 2
            step = (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-8)
            z = z.detach() + lr * step
    return x, best


def ball_ascent(gap: Map, x: torch.Tensor, best_val: torch.Tensor, steps: int):
    """Normalised gradient steps (0.1, decaying by 0.97 a step) projected onto the ball,
    keeping each point's best; each point is evaluated once per step (the next step's forward
    pass is the value of the point reached)."""
    best_x, best_val = x.clone(), best_val.clone()
    step = 0.1

    def keep_better(x: torch.Tensor, new: torch.Tensor) -> None:
        nonlocal best_val
        better = new > best_val
        best_val = torch.where(better, new, best_val)
        best_x[better] = x[better]

    for t in range(steps):
        x.requires_grad_(True)
        val = gap(x)  # also the value at the point the previous step reached
        if t:
            keep_better(x.detach(), val.detach())
        (grad,) = torch.autograd.grad(val.sum(), x)
        with torch.no_grad():
            x = x + step * grad / grad.norm(dim=1, keepdim=True).clamp_min(
                torch.finfo(x.dtype).tiny
            )
            x = x / x.norm(dim=1, keepdim=True).clamp_min(1.0)  # back into the ball
        step *= 0.97
    if steps:
        with torch.no_grad():
            keep_better(x, gap(x))
    return best_x, best_val
