"""Iterative magnitude pruning with rewinding (Frankle & Carbin 2019, "The lottery ticket
hypothesis: finding sparse, trainable neural networks", arXiv 1803.03635, "Strategy 1"): train
the network, prune the smallest-magnitude fraction of each layer's remaining weights, rewind the
survivors to their initial values, and repeat; the ticket is the last mask trained from the
rewound weights. Late rewinding (Frankle, Dziugaite, Roy, Carbin 2019, arXiv 1903.01611)
rewinds to the weights after `rewind_step` steps of the first training instead.

Here the network trained is the random network every method shares, each layer scaled to He's
variance (`training.he_scaled`; `he_init=False` starts from the Uniform[-1, 1] weights as they
are), on the regression of `approx.pipeline.search.training`. It finds a
*weak* ticket: trained weights on a sparse support, not a subnetwork of the random weights, so
the result carries the trained network (`SearchResult.network`). Rounds continue until every
layer keeps its budget `round(density · numel)`; the last round prunes to the budget exactly.
Theirs: Adam at 1.2e-3, 20% per round for fully connected layers (10% for the output layer),
MNIST; ours: the defaults of `approx.basics.defaults` (IMP_*), every layer at one rate.
"""

from __future__ import annotations

import math
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


def prune_schedule(sizes: list[int], budgets: list[int], fraction: float) -> list[list[int]]:
    """Kept weights per layer after each round: each round keeps `ceil((1 − fraction) · kept)`
    of a layer (at least one weight fewer), never fewer than its budget, until every layer is
    at its budget."""
    rounds, kept = [], list(sizes)
    while any(k > b for k, b in zip(kept, budgets, strict=True)):
        kept = [
            max(b, min(k - 1, math.ceil((1 - fraction) * k)))
            for k, b in zip(kept, budgets, strict=True)
        ]
        rounds.append(kept)
    return rounds


def iterative_magnitude_pruning(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float,
    steps: int = defaults.IMP_STEPS,
    lr: float = defaults.IMP_LR,
    prune_fraction: float = defaults.IMP_PRUNE_FRACTION,
    rewind_step: int = defaults.IMP_REWIND_STEP,
    batch_size: int = defaults.TRAIN_BATCH,
    eval_samples: int = defaults.TRAIN_EVAL_SAMPLES,
    he_init: bool = True,
    progress: bool = False,
) -> SearchResult:
    """IMP (module docstring) down to `density` of every layer; `steps` of Adam per round.
    `history`: the held-out mean squared error after each round's training."""
    check_pairing(target, random_net)
    density = check_density(density)
    check_positive_int("steps", steps)
    check_positive_number("lr", lr)
    if not 0 < prune_fraction < 1:
        raise InvalidArgument(f"prune_fraction={prune_fraction!r} must be in (0, 1)")
    if isinstance(rewind_step, bool) or not isinstance(rewind_step, int):
        raise InvalidArgument(f"rewind_step={rewind_step!r} must be an integer")
    if not 0 <= rewind_step < steps:
        raise InvalidArgument(f"rewind_step={rewind_step} must be in [0, steps={steps})")
    t0 = time.perf_counter()
    problem = Problem(
        target, random_net, generator, batch_size=batch_size, eval_samples=eval_samples
    )
    init = he_scaled(random_net.weights) if he_init else [w.clone() for w in random_net.weights]
    budgets = layer_budgets(init, density)
    schedule = prune_schedule([w.numel() for w in init], budgets, prune_fraction)
    masks = [torch.ones_like(w, dtype=torch.bool) for w in init]
    rewind = [init]

    def snapshot(step, params, masks, grads, opt):
        if step == rewind_step:
            rewind[0] = [p.detach().clone() for p in params]
        return masks

    total = steps * (len(schedule) + 1)
    with progress_bar(total, desc="imp", unit="step", enabled=progress, delay=RUN_DELAY) as bar:
        hook = snapshot if rewind_step > 0 else None
        weights, _ = train(problem, init, masks, steps=steps, lr=lr, bar=bar, hook=hook)
        history = [problem.held_out([w * m for w, m in zip(weights, masks, strict=True)])]
        for kept in schedule:
            masks = [top_magnitude(w, m, k) for w, m, k in zip(weights, masks, kept, strict=True)]
            weights, _ = train(problem, rewind[0], masks, steps=steps, lr=lr, bar=bar)
            history.append(problem.held_out([w * m for w, m in zip(weights, masks, strict=True)]))
    return SearchResult(
        method="imp",
        masks=support(masks),
        history=tuple(history),
        steps=total,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={
            "density": density,
            "steps": steps,
            "lr": lr,
            "prune_fraction": prune_fraction,
            "rewind_step": rewind_step,
            "rounds": len(schedule),
            "batch_size": batch_size,
            "he_init": he_init,
        },
        network=trained_network(random_net, weights, masks),
    )
