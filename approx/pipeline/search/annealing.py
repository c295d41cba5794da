"""Simulated annealing over masks (our design; Kirkpatrick, Gelatt, Vecchi 1983's scheme on the
mask bits): proof-blind, gradient-free, one move at a time.

The mask keeps exactly the budget `round(density · numel)` of each layer of the random network,
starting from a uniformly random one. A move picks a kept weight uniformly among all kept
weights and a pruned weight of the same layer, and exchanges them. Energy: the mean squared
error on `samples` fixed points of the sphere. A move that lowers the energy is taken; one
that raises it by Δ is taken with probability `exp(−Δ / T)`. The temperature falls
geometrically from T0, the mean |Δ| of 32 random moves from the start (an uphill move of
typical size is first taken with probability about 1/e), to `cooling · T0`. The result is the
best mask visited. Only the layers from the changed one on are recomputed per move.
"""

from __future__ import annotations

import itertools
import math
import time

import torch

from ...basics import defaults
from ...basics.errors import check_positive_int, check_positive_number
from ...basics.network import Network
from ...basics.progress import RUN_DELAY, progress_bar
from .base import SearchResult, check_pairing
from .training import Problem, check_density, layer_budgets, random_budget_masks, support

_CALIBRATION_MOVES = 32


class _State:
    """A mask with the activations of every layer on the fixed points, so a move recomputes
    only the layers from the changed one on."""

    def __init__(self, weights, masks, x, y) -> None:
        self.weights, self.masks, self.y = weights, masks, y
        self.inputs = [x] + [None] * (len(weights) - 1)  # inputs[i]: (S, d_i) into layer i
        self.energy = self.recompute(0)

    def recompute(self, start: int) -> float:
        h = self.inputs[start]
        for i in range(start, len(self.weights)):
            h = h @ (self.weights[i] * self.masks[i]).T
            if i < len(self.weights) - 1:
                h = torch.relu(h)
                self.inputs[i + 1] = h
        return float(((h - self.y) ** 2).sum(1).mean())

    def swap(self, layer: int, kept: int, pruned: int) -> float:
        """Prune flat position `kept` of `layer` and keep `pruned` instead; returns the new
        energy. `undo` restores the state before the last swap."""
        self._undo = (layer, kept, pruned, self.inputs[layer + 1 :], self.energy)
        m = self.masks[layer].view(-1)
        m[kept], m[pruned] = False, True
        self.energy = self.recompute(layer)
        return self.energy

    def undo(self) -> None:
        layer, kept, pruned, inputs, energy = self._undo
        m = self.masks[layer].view(-1)
        m[kept], m[pruned] = True, False
        self.inputs[layer + 1 :] = inputs
        self.energy = energy


def annealed_masks(
    target: Network,
    random_net: Network,
    *,
    generator: torch.Generator,
    density: float,
    steps: int = defaults.ANNEALING_STEPS,
    samples: int = defaults.ANNEALING_SAMPLES,
    cooling: float = defaults.ANNEALING_COOLING,
    progress: bool = False,
) -> SearchResult:
    """Simulated annealing (module docstring). `history`: the energy every `steps // 100`
    moves."""
    check_pairing(target, random_net)
    density = check_density(density)
    check_positive_int("steps", steps)
    check_positive_number("cooling", cooling)
    t0 = time.perf_counter()
    problem = Problem(target, random_net, generator, batch_size=1, eval_samples=samples)
    weights = random_net.weights
    budgets = layer_budgets(weights, density)
    masks = random_budget_masks([w.shape for w in weights], budgets, generator, weights[0].device)
    state = _State(weights, masks, problem.x_eval, problem.y_eval)
    offsets = torch.tensor([0, *itertools.accumulate(budgets)])
    # every random number up front: which kept weight, which pruned one, the acceptance draw
    draws = torch.rand((steps + _CALIBRATION_MOVES, 3), generator=generator, dtype=torch.float64)

    def propose(r) -> tuple[int, int, int]:
        pick = min(int(r[0] * offsets[-1]), int(offsets[-1]) - 1)
        layer = int(torch.searchsorted(offsets, pick, right=True)) - 1
        flat = state.masks[layer].view(-1)
        kept = flat.nonzero().squeeze(1)[pick - int(offsets[layer])]
        free = (~flat).nonzero().squeeze(1)
        if free.numel() == 0:
            return layer, -1, -1
        pruned = free[min(int(r[1] * free.numel()), free.numel() - 1)]
        return layer, int(kept), int(pruned)

    with torch.no_grad():
        start_energy, deltas = state.energy, []
        for r in draws[:_CALIBRATION_MOVES]:
            layer, kept, pruned = propose(r)
            if kept >= 0:
                deltas.append(abs(state.swap(layer, kept, pruned) - start_energy))
                state.undo()
        temp0 = max(sum(deltas) / max(len(deltas), 1), 1e-300)
        best_energy, best = state.energy, [m.clone() for m in state.masks]
        history = [state.energy]
        every = max(1, steps // 100)
        with progress_bar(
            steps, desc="annealing", unit="move", enabled=progress, delay=RUN_DELAY
        ) as bar:
            for t, r in enumerate(draws[_CALIBRATION_MOVES:]):
                temp = temp0 * cooling ** (t / steps)
                layer, kept, pruned = propose(r)
                if kept >= 0:
                    before = state.energy
                    after = state.swap(layer, kept, pruned)
                    if after <= before or float(r[2]) < math.exp(-(after - before) / temp):
                        if after < best_energy:
                            best_energy, best = after, [m.clone() for m in state.masks]
                    else:
                        state.undo()
                if (t + 1) % every == 0:
                    history.append(state.energy)
                bar.update(1)
    return SearchResult(
        method="annealing",
        masks=support(best),
        history=tuple(history),
        steps=steps,
        seconds=time.perf_counter() - t0,
        seed=-1,
        config={"density": density, "steps": steps, "samples": samples, "cooling": cooling},
    )
