"""Edge-popup (Ramanujan et al. 2020, "What's hidden in a randomly weighted neural network?",
arXiv 1911.13299): weights frozen, one real score per weight; the forward pass keeps, in every
layer, the `density` fraction of weights with the largest |score|, and the gradient reaches
every score straight through the top-k (∂L/∂s = ∂L/∂w_eff · w). Adam on the scores, mean
squared error on fresh batches of points of the unit sphere; the masks kept are the best on a
fixed held-out sample, checked every `eval_every` steps. Ours: the score initialisation
(Uniform[0, 1]) and the held-out selection.
"""

from __future__ import annotations

import time

import torch
import torch.optim  # imported here, not inside the first search it would then be timed with

from ...basics import defaults
from ...basics.errors import InvalidArgument, check_positive_int, check_positive_number
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.sampling import unit_sphere
from .base import SearchResult, check_pairing


def _topk_mask(score: torch.Tensor, k: int) -> torch.Tensor:
    idx = torch.topk(score.abs().flatten(), k).indices
    mask = torch.zeros(score.numel(), dtype=torch.bool, device=score.device)
    mask[idx] = True
    return mask.view(score.shape)


def edge_popup(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float = defaults.EDGE_POPUP_DENSITY,
    steps: int = defaults.EDGE_POPUP_STEPS,
    lr: float = defaults.EDGE_POPUP_LR,
    batch_size: int = defaults.EDGE_POPUP_BATCH,
    eval_every: int = defaults.EDGE_POPUP_EVAL_EVERY,
    eval_samples: int = defaults.EDGE_POPUP_EVAL_SAMPLES,
    eval_points: torch.Tensor | None = None,
) -> SearchResult:
    """Edge-popup (module docstring): keeps `density` (a fraction in (0, 1]) of every layer's
    weights. `generator` seeds the scores and every batch. `eval_points` `(S, d_0)`: the
    held-out points on which the kept masks are chosen (default: `eval_samples` points of the
    sphere from `generator`, which are drawn either way, so the batches do not depend on it)."""
    check_pairing(target, random_net)
    if not (isinstance(density, float) and 0 < density <= 1):
        raise InvalidArgument(f"density={density!r} must be a float in (0, 1]")
    check_positive_int("steps", steps)
    check_positive_number("lr", lr)
    check_positive_int("batch_size", batch_size)
    check_positive_int("eval_every", eval_every)
    t0 = time.perf_counter()
    dtype, device, d0 = random_net.dtype, random_net.device, target.widths[0]
    weights = random_net.weights
    ks = [max(1, round(density * w.numel())) for w in weights]
    scores = [
        torch.rand(w.shape, generator=generator, dtype=torch.float64)
        .to(device=device, dtype=dtype)
        .requires_grad_(True)
        for w in weights
    ]
    opt = torch.optim.Adam(scores, lr=lr)
    x_eval = unit_sphere(eval_samples, d0, generator, dtype, device)
    if eval_points is not None:
        x_eval = eval_points.to(device=device, dtype=dtype)
    with torch.no_grad():
        y_eval = target(x_eval)

    def current_masks() -> Masks:
        return Masks(tuple(_topk_mask(s.detach(), k) for s, k in zip(scores, ks, strict=True)))

    def held_out(masks: Masks) -> float:
        with torch.no_grad():
            g = masks.apply(random_net)(x_eval)
            return float(((g - y_eval) ** 2).sum(1).mean())

    best = current_masks()
    best_loss = held_out(best)
    history = [best_loss]
    for step in range(1, steps + 1):
        x = unit_sphere(batch_size, d0, generator, dtype, device)
        h = x
        for i, (w, s, k) in enumerate(zip(weights, scores, ks, strict=True)):
            hard = _topk_mask(s.detach(), k).to(dtype)
            # straight-through: the forward uses the 0/1 mask, the backward treats it as s
            h = h @ (w * (hard + s - s.detach())).T  # (batch, width_{i+1})
            if i < len(weights) - 1:
                h = torch.relu(h)
        loss = ((h - target(x)) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            masks = current_masks()
            value = held_out(masks)
            history.append(value)
            if value < best_loss:
                best, best_loss = masks, value
    return SearchResult(
        method="edge-popup",
        masks=best,
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={"density": density, "steps": steps, "lr": lr, "batch_size": batch_size},
    )
