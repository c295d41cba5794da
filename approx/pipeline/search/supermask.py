"""Supermasks (Zhou, Lan, Liu, Yosinski 2019, "Deconstructing lottery tickets: zeros, signs, and
the supermask", arXiv 1905.01067; their code, uber-research/deconstructing-lottery-tickets,
`masked_networks.py`): the random weights stay frozen; every weight has a mask logit m; the
forward pass samples the mask `M ~ Bernoulli(sigmoid(m))` and the backward pass treats the
sample as `sigmoid(m)` (straight-through: `M + σ(m) − stopgrad(σ(m))`). Their options:
*signed constant* (each weight replaced by `sign(w) · std(layer)`) and *dynamic weight
rescaling* (each layer's effective weights multiplied by `numel / kept`).

Ours: mean squared error on sphere points instead of cross-entropy on images; Adam instead of
their SGD at lr 100; the logits start at `logit(density)` (theirs: a constant, 0 by default);
the mask kept is the best on held-out points among, at every check, the rounded mask
`σ(m) > ½` and one Bernoulli sample (they report the accuracy of sampled masks).

With neither option the result is a mask over the random network. With signed constants or
rescaling the weights are no longer the random network's: the result then carries the network
it computes (`SearchResult.network`), reported as changed weights, not a subnetwork.
"""

from __future__ import annotations

import math
import time

import torch
import torch.optim

from ...basics import defaults
from ...basics.errors import check_positive_int, check_positive_number
from ...basics.network import Network
from .base import SearchResult, check_pairing, counted
from .training import Problem, check_density, forward, mse, support, trained_network


def _weights(random_net: Network, signed_constant: bool) -> list[torch.Tensor]:
    if not signed_constant:
        return list(random_net.weights)
    return [torch.sign(w) * w.std(unbiased=False) for w in random_net.weights]


def initial_keep(weight: torch.Tensor, density: float | None) -> float:
    """The initial keep probability of a layer: `density`, or when None
    `min(½, 3 / fan-in)`: ½ is Zhou et al.'s (logit 0); 3 / fan-in keeps the variance of a
    layer's pre-activations at about that of its input, `p · fan-in · Var(w) = 1` for
    Uniform[-1, 1] weights (variance ⅓). Without the cap a wide random layer's output is a sum
    of hundreds of terms, the first gradient steps push every logit down, and the masks
    collapse to the empty mask (measured: 8-8-4 target, n = 16, docs/search.md)."""
    return density if density is not None else min(0.5, 3 / weight.shape[1])


def _logit(p: float) -> float:
    return math.log(p / (1 - p)) if p < 1 else 10.0


def _floats(masks, weights) -> list[torch.Tensor]:
    return [m.to(w.dtype) for m, w in zip(masks, weights, strict=True)]


def _effective(weights, masks, rescale: bool) -> list[torch.Tensor]:
    """Masked weights, each layer multiplied by `numel / kept` when `rescale`."""
    out = []
    for w, m in zip(weights, masks, strict=True):
        e = w * m
        if rescale:
            e = e * (m.numel() / m.detach().sum().clamp_min(1))
        out.append(e)
    return out


class _Logits:
    """The mask logits of every layer, their Bernoulli samples and the masks to keep."""

    def __init__(self, weights, density, generator, rescale: bool) -> None:
        self.weights, self.generator, self.rescale = weights, generator, rescale
        self.logits = [
            torch.full_like(w, _logit(initial_keep(w, density))).requires_grad_(True)
            for w in weights
        ]

    def sample(self) -> list[torch.Tensor]:
        """`M ~ Bernoulli(σ(m))` in the forward pass, `σ(m)` in the backward pass."""
        probs = [torch.sigmoid(m) for m in self.logits]
        draws = [torch.rand(p.shape, generator=self.generator, dtype=torch.float64) for p in probs]
        return [
            (d.to(p.device) < p.detach()).to(p.dtype) + p - p.detach()
            for d, p in zip(draws, probs, strict=True)
        ]

    def candidates(self) -> list[list[torch.Tensor]]:
        """The rounded masks `σ(m) > ½` and one Bernoulli sample."""
        with torch.no_grad():
            return [[m > 0 for m in self.logits], [s.detach() > 0.5 for s in self.sample()]]

    def effective(self, masks) -> list[torch.Tensor]:
        return _effective(self.weights, _floats(masks, self.weights), self.rescale)


def supermask(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float | None = None,
    steps: int = defaults.SUPERMASK_STEPS,
    lr: float = defaults.SUPERMASK_LR,
    batch_size: int = defaults.TRAIN_BATCH,
    eval_every: int = defaults.SUPERMASK_EVAL_EVERY,
    eval_samples: int = defaults.TRAIN_EVAL_SAMPLES,
    signed_constant: bool = False,
    rescale: bool = False,
    progress: bool = False,
) -> SearchResult:
    """Supermask search (module docstring). `density`: the initial keep probability of every
    weight; None: `min(½, 3 / fan-in)` per layer (`initial_keep`). The learned masks choose
    their own density. `generator` draws every batch and every Bernoulli sample."""
    check_pairing(target, random_net)
    if density is not None:
        density = check_density(density)
    check_positive_int("steps", steps)
    check_positive_int("eval_every", eval_every)
    check_positive_number("lr", lr)
    t0 = time.perf_counter()
    problem = Problem(
        target, random_net, generator, batch_size=batch_size, eval_samples=eval_samples
    )
    weights = _weights(random_net, signed_constant)
    logits = _Logits(weights, density, generator, rescale)
    opt = torch.optim.Adam(logits.logits, lr=lr)
    best = min(logits.candidates(), key=lambda m: problem.held_out(logits.effective(m)))
    history = [problem.held_out(logits.effective(best))]
    best_value = history[0]
    for step in counted(steps, "supermask", "step", progress):
        x, y = problem.batch()
        loss = mse(forward(_effective(weights, logits.sample(), rescale), x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            for masks in logits.candidates():
                history.append(problem.held_out(logits.effective(masks)))
                if history[-1] < best_value:
                    best, best_value = masks, history[-1]
    changed = signed_constant or rescale
    return SearchResult(
        method="supermask",
        masks=support(best),
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={
            "density": density,
            "initial_keep": [initial_keep(w, density) for w in weights],
            "steps": steps,
            "lr": lr,
            "batch_size": batch_size,
            "signed_constant": signed_constant,
            "rescale": rescale,
        },
        network=trained_network(random_net, logits.effective(best), best) if changed else None,
    )
