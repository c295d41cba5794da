"""Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune: exploring the
efficacy of pruning for model compression", arXiv 1710.01878): train the dense network and,
every `every` steps from step t0 to step t1, raise each layer's sparsity along the cubic
schedule

    s_t = s_f + (s_i − s_f) (1 − (t − t0) / (t1 − t0))³,      s_i = 0,  s_f = 1 − density,

pruning the smallest-magnitude weights still kept (pruned weights stay pruned); then train on
at the final sparsity. A trained sparse network with the budget's parameter count.

Ours: the regression of `approx.pipeline.search.training`, Adam, the shared random network's
weights scaled to He's variance as the initialisation (`training.he_scaled`; `he_init=False`:
as they are), a budget `round(density · numel)` per layer reached exactly at
t1, and the schedule's steps scaled down (defaults GMP_*).
"""

from __future__ import annotations

import time

import torch

from ...basics import defaults
from ...basics.errors import InvalidArgument, check_positive_int, check_positive_number
from ...basics.network import Network
from ...basics.progress import RUN_DELAY, progress_bar
from .base import SearchResult, check_pairing
from .training import (
    Problem,
    check_density,
    he_scaled,
    layer_budgets,
    support,
    top_magnitude,
    train,
    trained_network,
)


def cubic_sparsity(t: int, t0: int, t1: int, final: float) -> float:
    """Zhu & Gupta's schedule with s_i = 0: 0 before t0, `final` from t1 on."""
    if t <= t0:
        return 0.0
    if t >= t1:
        return final
    return final * (1 - (1 - (t - t0) / (t1 - t0)) ** 3)


def gradual_magnitude_pruning(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float,
    steps: int = defaults.GMP_STEPS,
    lr: float = defaults.GMP_LR,
    start: float = defaults.GMP_START,
    end: float = defaults.GMP_END,
    every: int = defaults.GMP_EVERY,
    batch_size: int = defaults.TRAIN_BATCH,
    eval_samples: int = defaults.TRAIN_EVAL_SAMPLES,
    he_init: bool = True,
    progress: bool = False,
) -> SearchResult:
    """GMP (module docstring) to `density` of every layer; `start`, `end`: t0 and t1 as
    fractions of `steps`. `history`: held-out mean squared error at every pruning step."""
    check_pairing(target, random_net)
    density = check_density(density)
    check_positive_int("steps", steps)
    check_positive_int("every", every)
    check_positive_number("lr", lr)
    if not 0 <= start < end <= 1:
        raise InvalidArgument(f"start={start!r}, end={end!r} must satisfy 0 <= start < end <= 1")
    t0_clock = time.perf_counter()
    problem = Problem(
        target, random_net, generator, batch_size=batch_size, eval_samples=eval_samples
    )
    init = he_scaled(random_net.weights) if he_init else [w.clone() for w in random_net.weights]
    budgets = layer_budgets(init, density)
    t0, t1 = round(start * steps), max(round(end * steps), round(start * steps) + 1)
    history: list[float] = []

    def prune(step, params, masks, grads, opt):
        if step < t0 or step > t1 or ((step - t0) % every and step != t1):
            return masks
        new = []
        for p, m, b in zip(params, masks, budgets, strict=True):
            s = cubic_sparsity(step, t0, t1, 1 - b / p.numel())
            k = max(b, round((1 - s) * p.numel()))
            new.append(top_magnitude(p.detach(), m, min(k, int(m.sum()))))
        history.append(problem.held_out([p.detach() * m for p, m in zip(params, new, strict=True)]))
        return new

    masks = [torch.ones_like(w, dtype=torch.bool) for w in init]
    with progress_bar(steps, desc="gmp", unit="step", enabled=progress, delay=RUN_DELAY) as bar:
        weights, masks = train(problem, init, masks, steps=steps, lr=lr, bar=bar, hook=prune)
    history.append(problem.held_out([w * m for w, m in zip(weights, masks, strict=True)]))
    return SearchResult(
        method="gmp",
        masks=support(masks),
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0_clock,
        seed=-1,
        config={
            "density": density,
            "steps": steps,
            "lr": lr,
            "start": start,
            "end": end,
            "every": every,
            "batch_size": batch_size,
            "he_init": he_init,
        },
        network=trained_network(random_net, weights, masks),
    )
