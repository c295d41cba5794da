"""A genetic algorithm over masks (our design, of the kind proposed for pruning before gradient
searches: a population of masks, selection by fitness, crossover and mutation; no gradients,
no knowledge of the proof).

Every mask keeps exactly the budget `round(density · numel)` of each layer of the random
network. Fitness: the mean squared error on `samples` fixed points of the sphere (lower is
fitter). Each generation keeps the `elite` fittest masks and fills the rest of the population
with children: two parents, each the fittest of `tournament` masks drawn at random; uniform
crossover repaired to the budget (a child keeps every weight both parents keep, and a random
choice among the weights exactly one keeps); then `swaps` mutations per layer (a kept weight
and a pruned one exchange places). The whole population is evaluated in one batched forward
pass. The result is the fittest mask of the last generation.
"""

from __future__ import annotations

import time

import torch

from ...basics import defaults
from ...basics.errors import InvalidArgument, check_positive_int
from ...basics.network import Network
from ...basics.progress import RUN_DELAY, progress_bar
from .base import SearchResult, check_pairing
from .training import Problem, check_density, layer_budgets, support


def population_forward(weights, masks, x: torch.Tensor) -> torch.Tensor:
    """The masked network for every mask of a population at once: `masks[i]` `(P, *w_i.shape)`,
    `x` `(S, d_0)` -> `(P, S, d_l)`."""
    h = x.expand(masks[0].shape[0], *x.shape)  # (P, S, d_0)
    for i, (w, m) in enumerate(zip(weights, masks, strict=True)):
        h = h @ (w * m).transpose(1, 2)  # (P, S, d_{i+1})
        if i < len(weights) - 1:
            h = torch.relu(h)
    return h


def _choose(score: torch.Tensor, k: int) -> torch.Tensor:
    """Per row of `score` `(P, numel)`, the mask of its `k` largest entries."""
    out = torch.zeros(score.shape, dtype=torch.bool, device=score.device)
    out.scatter_(1, torch.topk(score, k, dim=1).indices, True)
    return out


def _rand(shape, generator, like: torch.Tensor) -> torch.Tensor:
    return torch.rand(shape, generator=generator, dtype=torch.float64).to(like.device)


def _children(a, b, k, swaps, generator):
    """Crossover of parent masks `a`, `b` `(C, numel)` repaired to `k` kept, then `swaps`
    kept <-> pruned exchanges per child."""
    both, either = a & b, a ^ b
    child = _choose(both * 2.0 + either * _rand(a.shape, generator, a), k)
    m = min(swaps, k, a.shape[1] - k)
    if m:
        r = _rand((2, *a.shape), generator, a)
        drop = _choose(r[0].masked_fill(~child, -1.0), m)
        add = _choose(r[1].masked_fill(child, -1.0), m)
        child = (child & ~drop) | add
    return child


def _check_options(population, generations, elite, tournament, swaps) -> None:
    for name, v in (("population", population), ("generations", generations)):
        check_positive_int(name, v)
    check_positive_int("tournament", tournament)
    if isinstance(elite, bool) or not isinstance(elite, int) or not 1 <= elite < population:
        raise InvalidArgument(f"elite={elite!r} must be an integer in [1, population)")
    if isinstance(swaps, bool) or not isinstance(swaps, int) or swaps < 0:
        raise InvalidArgument(f"swaps={swaps!r} must be an integer >= 0")


def genetic_masks(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float,
    population: int = defaults.EVOLUTION_POPULATION,
    generations: int = defaults.EVOLUTION_GENERATIONS,
    elite: int = defaults.EVOLUTION_ELITE,
    tournament: int = defaults.EVOLUTION_TOURNAMENT,
    swaps: int = defaults.EVOLUTION_SWAPS,
    samples: int = defaults.EVOLUTION_SAMPLES,
    progress: bool = False,
) -> SearchResult:
    """The genetic algorithm (module docstring). `history`: the best fitness (mean squared
    error on the fixed points) of each generation, never increasing (elitism)."""
    check_pairing(target, random_net)
    density = check_density(density)
    _check_options(population, generations, elite, tournament, swaps)
    t0 = time.perf_counter()
    problem = Problem(target, random_net, generator, batch_size=1, eval_samples=samples)
    weights = random_net.weights
    budgets = layer_budgets(weights, density)
    shapes = [w.shape for w in weights]
    ref = weights[0]
    flat = [  # (P, numel) per layer
        _choose(_rand((population, w.numel()), generator, ref), k)
        for w, k in zip(weights, budgets, strict=True)
    ]

    def fitness(pop) -> torch.Tensor:
        masks = [p.view(-1, *s) for p, s in zip(pop, shapes, strict=True)]
        with torch.no_grad():
            out = population_forward(weights, masks, problem.x_eval)
        return ((out - problem.y_eval) ** 2).sum(2).mean(1)  # (P,)

    fit = fitness(flat)
    history = [float(fit.min())]
    n_children = population - elite
    with progress_bar(
        generations, desc="evolution", unit="gen", enabled=progress, delay=RUN_DELAY
    ) as bar:
        for _ in range(generations):
            order = torch.argsort(fit)
            draws = torch.randint(population, (2, n_children, tournament), generator=generator).to(
                ref.device
            )
            parents = draws.gather(2, fit[draws].argmin(2, keepdim=True)).squeeze(2)  # (2, C)
            flat = [
                torch.cat(
                    [p[order[:elite]], _children(p[parents[0]], p[parents[1]], k, swaps, generator)]
                )
                for p, k in zip(flat, budgets, strict=True)
            ]
            fit = fitness(flat)
            history.append(float(fit.min()))
            bar.update(1)
    best = int(torch.argmin(fit))
    masks = [p[best].view(s) for p, s in zip(flat, shapes, strict=True)]
    return SearchResult(
        method="evolution",
        masks=support(masks),
        history=tuple(history),
        steps=generations,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={
            "density": density,
            "population": population,
            "generations": generations,
            "elite": elite,
            "tournament": tournament,
            "swaps": swaps,
            "samples": samples,
        },
    )
