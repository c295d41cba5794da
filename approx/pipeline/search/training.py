"""What the trained baselines and the mask searches share: the regression problem (points of the
unit sphere, the target's outputs), the bias-free ReLU forward pass over a list of weight
tensors, per-layer budgets, magnitude pruning, and a held-out error.

Inputs come from the unit sphere: the targets and the random networks are bias-free ReLU
networks, positively homogeneous, so the sup over the unit ball is attained on the sphere, and
a regression on inputs from the ball would only weight the same errors by the radius. Every
batch is drawn from the caller's `torch.Generator` (on the CPU, then moved), so the same seed
gives the same training on every device.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.optim

from ...basics.errors import InvalidArgument
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.sampling import unit_sphere


def check_density(density: float) -> float:
    if isinstance(density, bool) or not isinstance(density, (int, float)):
        raise InvalidArgument(f"density={density!r} must be a number in (0, 1]")
    if not 0 < density <= 1:
        raise InvalidArgument(f"density={density!r} must be in (0, 1]")
    return float(density)


def layer_budgets(weights: Sequence[torch.Tensor], density: float) -> list[int]:
    """Weights kept per layer at `density`: `max(1, round(density · numel))` (edge-popup's
    rule), so every method with a budget keeps the same count in every layer."""
    return [max(1, round(density * w.numel())) for w in weights]


def he_scaled(weights: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Each layer times `sqrt(6 / fan-in)`: Uniform[-1, 1] weights (variance ⅓) get He et
    al.'s variance 2 / fan-in, the initialisation ReLU networks are trained from. A bias-free
    ReLU network so scaled computes the random network's function times the product of the
    factors: the same signs, the same relative magnitudes within a layer.

    Why the trained baselines start here rather than at the random weights themselves: a
    Uniform[-1, 1] layer of fan-in 256 sums to outputs in the tens, and Adam from there either
    crawls or kills the ReLUs (dense 8-256-8-256-4 net, 1000 steps: mean squared error 0.12 at
    lr 1.2e-3, 0.054 = the zero function at 5e-3; scaled: 1.3e-3 at 1.2e-3; docs/search.md)."""
    return [w * (6 / w.shape[1]) ** 0.5 for w in weights]


def forward(weights: Sequence[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The bias-free ReLU network with these weights: `x` `(batch, d_0)` -> `(batch, d_l)`,
    ReLU between layers, none after the last (the random networks' form)."""
    h = x
    for i, w in enumerate(weights):
        h = h @ w.T  # (batch, d_{i+1})
        if i < len(weights) - 1:
            h = torch.relu(h)
    return h


def mse(pred: torch.Tensor, goal: torch.Tensor) -> torch.Tensor:
    """Mean over points of the squared output distance, the loss of every baseline."""
    return ((pred - goal) ** 2).sum(1).mean()


def top_magnitude(values: torch.Tensor, allowed: torch.Tensor, k: int) -> torch.Tensor:
    """The mask of the `k` entries of largest |value| among `allowed` (ties: torch.topk's
    order, deterministic on one device)."""
    score = values.abs().flatten().masked_fill(~allowed.flatten(), -1.0)
    mask = torch.zeros(values.numel(), dtype=torch.bool, device=values.device)
    mask[torch.topk(score, k).indices] = True
    return mask.view(values.shape)


def random_budget_masks(
    shapes: Sequence[torch.Size], budgets: Sequence[int], generator: torch.Generator, device
) -> list[torch.Tensor]:
    """For each layer, a uniformly random mask keeping exactly its budget."""
    out = []
    for shape, k in zip(shapes, budgets, strict=True):
        r = torch.rand(shape, generator=generator, dtype=torch.float64).to(device)
        out.append(top_magnitude(r, torch.ones(shape, dtype=torch.bool, device=device), k))
    return out


class Problem:
    """The regression every baseline solves: fresh batches of sphere points with the target's
    outputs, and a fixed held-out sample on which the searches choose what they keep."""

    def __init__(
        self,
        target: Network,
        random_net: Network,
        generator: torch.Generator,
        *,
        batch_size: int,
        eval_samples: int,
    ) -> None:
        self.target, self.generator = target, generator
        self.dtype, self.device = random_net.dtype, random_net.device
        self.d0, self.batch_size = target.widths[0], batch_size
        self.x_eval = self.points(eval_samples)
        with torch.no_grad():
            self.y_eval = target(self.x_eval)

    def points(self, n: int) -> torch.Tensor:
        return unit_sphere(n, self.d0, self.generator, self.dtype, self.device)

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.points(self.batch_size)
        with torch.no_grad():
            return x, self.target(x)

    def held_out(self, weights: Sequence[torch.Tensor]) -> float:
        """Mean squared error of the network with these (effective) weights on the held-out
        points."""
        with torch.no_grad():
            return float(mse(forward(weights, self.x_eval), self.y_eval))


# hook(step, weights, masks, gradients of the effective weights, optimizer) -> masks
Hook = Callable[
    [int, list[torch.Tensor], list[torch.Tensor], list[torch.Tensor], torch.optim.Adam],
    list[torch.Tensor],
]


def train(
    problem: Problem,
    start: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor],
    *,
    steps: int,
    lr: float,
    bar,
    hook: Hook | None = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Adam on the weights `start` (copied) under `masks` (the forward pass uses `w · m`, so
    pruned weights get no gradient) for `steps` batches; returns the weights and the masks.

    `hook(step, weights, masks, grads, optimizer)`, called after each backward pass and before
    the optimizer's step, returns the masks from then on (how GMP prunes and RigL rewires);
    `grads` are the gradients of the loss with respect to the effective weights `w · m`
    (dense: also where m = 0, which is what RigL grows by)."""
    params = [w.detach().clone().requires_grad_(True) for w in start]
    masks = list(masks)
    opt = torch.optim.Adam(params, lr=lr)
    for step in range(1, steps + 1):
        x, y = problem.batch()
        effective = [p * m for p, m in zip(params, masks, strict=True)]
        if hook is not None:
            for e in effective:
                e.retain_grad()
        loss = mse(forward(effective, x), y)
        opt.zero_grad()
        loss.backward()
        if hook is not None:
            masks = hook(step, params, masks, [e.grad for e in effective], opt)
        opt.step()
        bar.update(1)
    return [p.detach() for p in params], masks


def trained_network(random_net: Network, weights: Sequence[torch.Tensor], masks) -> Network:
    """The trained network as a `Network` (pruned weights exactly zero)."""
    return random_net.with_weights(
        torch.where(m, w.detach(), torch.zeros((), dtype=w.dtype, device=w.device))
        for w, m in zip(weights, masks, strict=True)
    )


def support(masks: Sequence[torch.Tensor]) -> Masks:
    return Masks(tuple(m.clone() for m in masks))
