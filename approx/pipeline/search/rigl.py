"""RigL, sparse training from scratch (Evci, Gale, Menick, Castro, Elsen 2019, "Rigging the
lottery: making all tickets winners", arXiv 1911.11134): start from a random sparse support at
the final density and train; every ΔT steps until T_end, in each layer drop the fraction

    f(t) = α/2 · (1 + cos(π t / T_end))

of the active weights with the smallest magnitude and grow as many inactive connections with
the largest magnitude of the dense gradient, initialised at zero. The parameter count never
changes: a trained sparse network with the budget's count from the first step on.

Ours: the regression of `approx.pipeline.search.training`, Adam (theirs: SGD with momentum;
grown weights restart with zero Adam moments), the shared random network's weights, scaled to
He's variance (`training.he_scaled`; `he_init=False`: as they are), on a uniformly random
support of `round(density · numel)` per layer (theirs: the Erdős–Rényi-kernel allocation
across layers), ΔT, α and T_end/T as recommended (defaults RIGL_*), and fewer steps.
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
    random_budget_masks,
    support,
    top_magnitude,
    train,
    trained_network,
)


def drop_fraction(t: int, t_end: int, alpha: float) -> float:
    """RigL's cosine-annealed update fraction `α/2 (1 + cos(π t / T_end))`."""
    return alpha / 2 * (1 + math.cos(math.pi * t / t_end))


def _rewire(p, m, g, k, opt) -> torch.Tensor:
    """Drop the `k` active weights of least magnitude, grow the `k` inactive ones (after the
    drop) of largest gradient magnitude at zero, with fresh Adam moments."""
    kept = int(m.sum())
    survivors = top_magnitude(p.detach(), m, kept - k)
    grown = top_magnitude(g, ~survivors, k)
    with torch.no_grad():
        p[grown] = 0.0
        state = opt.state.get(p, {})
        for key in ("exp_avg", "exp_avg_sq"):
            if key in state:
                state[key][grown] = 0.0
    return survivors | grown


def rigl(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float,
    steps: int = defaults.RIGL_STEPS,
    lr: float = defaults.RIGL_LR,
    every: int = defaults.RIGL_EVERY,
    alpha: float = defaults.RIGL_ALPHA,
    end: float = defaults.RIGL_END,
    batch_size: int = defaults.TRAIN_BATCH,
    eval_samples: int = defaults.TRAIN_EVAL_SAMPLES,
    he_init: bool = True,
    progress: bool = False,
) -> SearchResult:
    """RigL (module docstring) at `density` of every layer; `every` = ΔT, `end` = T_end as a
    fraction of `steps`. `history`: held-out mean squared error at every update."""
    check_pairing(target, random_net)
    density = check_density(density)
    check_positive_int("steps", steps)
    check_positive_int("every", every)
    check_positive_number("lr", lr)
    if not 0 <= alpha < 1:
        raise InvalidArgument(f"alpha={alpha!r} must be in [0, 1)")
    if not 0 < end <= 1:
        raise InvalidArgument(f"end={end!r} must be in (0, 1]")
    t0 = time.perf_counter()
    problem = Problem(
        target, random_net, generator, batch_size=batch_size, eval_samples=eval_samples
    )
    init = he_scaled(random_net.weights) if he_init else [w.clone() for w in random_net.weights]
    budgets = layer_budgets(init, density)
    masks = random_budget_masks([w.shape for w in init], budgets, generator, random_net.device)
    t_end = max(1, round(end * steps))
    history: list[float] = []

    def update(step, params, masks, grads, opt):
        if step % every or step >= t_end:
            return masks
        f = drop_fraction(step, t_end, alpha)
        new = [
            _rewire(p, m, g, min(int(f * int(m.sum())), p.numel() - int(m.sum())), opt)
            for p, m, g in zip(params, masks, grads, strict=True)
        ]
        history.append(problem.held_out([p.detach() * m for p, m in zip(params, new, strict=True)]))
        return new

    with progress_bar(steps, desc="rigl", unit="step", enabled=progress, delay=RUN_DELAY) as bar:
        weights, masks = train(problem, init, masks, steps=steps, lr=lr, bar=bar, hook=update)
    history.append(problem.held_out([w * m for w, m in zip(weights, masks, strict=True)]))
    return SearchResult(
        method="rigl",
        masks=support(masks),
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={
            "density": density,
            "steps": steps,
            "lr": lr,
            "every": every,
            "alpha": alpha,
            "end": end,
            "batch_size": batch_size,
            "he_init": he_init,
        },
        network=trained_network(random_net, weights, masks),
    )
