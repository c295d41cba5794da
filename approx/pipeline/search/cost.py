"""What each search of `approx compare` costs on one thread, from the random network's widths
alone: the steps the method takes (counted as it counts them) times the cost of one step.

A step's cost is a fixed part (the step's Python and torch calls) plus its points times the
work per point, `U` units (every layer's outputs, `Σ widths[1:]`: activations and
elementwise passes) and `P` weights (the products):

    training step (edge-popup, supermask, imp, gmp, rigl): a_m + B (2.4 ns U + 0.43 ns P),
        B = TRAIN_BATCH points, forward and backward; a_m per method (edge-popup sorts every
        layer's scores each step: 1.26 ms; the others 0.5-0.65 ms), evaluations included
    evolution generation: POPULATION × SAMPLES points × (10 ns U + 0.1 ns P) (batched over
        the population: memory-bound on the activations)
    annealing move: 84 µs + SAMPLES × (1 ns U_l + 0.095 ns P_l), U_l and P_l the units and
        weights from the changed layer on (a move's layer is drawn in proportion to its kept
        weights), over `steps` moves and 32 calibration moves
    greedy move: 0.5 ms + 25 ns × S × d_in × (units in use) (every input edge's effect at
        every point, over the hidden units in use, which grow with the moves: ~0.6 a move, up
        to the pair's h; averaged over the moves); its moves are data-dependent: modelled as
        1.5 √n per target weight of the pair (measured 3.6-12.9 moves per weight at n = 8-32),
        at most `max_steps`

Fitted to the CPU time of each method at its defaults, one thread, on 4-64-4-64-2,
4-256-4-256-2, 8-256-8-256-4 and 16-256-16-256-4 (`approx compare --widths W --n N`'s
networks; load average 2.4-4.4 on 2 cores): the training methods, evolution and annealing
within ~30% of each. Greedy's per-move temporaries (S × units × d_in floats, megabytes) are
memory-bound and its time varies most with the neighbours on the cores: the same 674 moves on
8-256-8-256-4 took 2.2-15.8 s in six runs (costed at 6.0 s; 0.12-0.18 s measured against 0.14
on the default network). The previous model (each method's seconds on 8-256-8-256-4, never
scaled down) announced the default comparison's searches at 50 s against 14 s measured
(greedy 8.8 s against 0.12 s, evolution 15.8 against 3.3). The methods that keep a budget are
costed at `density`; where the comparison takes the construction's (not known before its
run), at `_BUDGET_GUESS` (measured 0.20-0.32 on those networks; only IMP's rounds depend on it).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from ...basics import defaults
from .imp import prune_schedule

_BUDGET_GUESS = 0.3
_TRAIN_STEP_S = {
    "edge-popup": 1.26e-3,
    "supermask": 0.64e-3,
    "imp": 0.51e-3,
    "gmp": 0.53e-3,
    "rigl": 0.58e-3,
}
_TRAIN_S_PER_UNIT = 2.4e-9  # per batch point and unit: forward and backward
_TRAIN_S_PER_WEIGHT = 0.43e-9  # per batch point and weight: the three products
_EVOLUTION_S_PER_UNIT = 10e-9  # per point of the population's batch
_EVOLUTION_S_PER_WEIGHT = 0.1e-9
_ANNEALING_MOVE_S = 84e-6
_ANNEALING_S_PER_UNIT = 1e-9  # per fixed point, layers from the changed one on
_ANNEALING_S_PER_WEIGHT = 0.095e-9
_ANNEALING_CALIBRATION = 32  # `annealing._CALIBRATION_MOVES`
_GREEDY_MOVE_S = 0.5e-3
_GREEDY_S_PER_ENTRY = 25e-9  # per point, input and unit in use
_GREEDY_MOVES_PER_WEIGHT = 1.5  # times √n
_GREEDY_UNITS_PER_MOVE = 0.6

_STEPS = {
    "edge-popup": defaults.EDGE_POPUP_STEPS,
    "supermask": defaults.SUPERMASK_STEPS,
    "gmp": defaults.GMP_STEPS,
    "rigl": defaults.RIGL_STEPS,
    "imp": defaults.IMP_STEPS,
    "annealing": defaults.ANNEALING_STEPS,
}


def search_steps(
    method: str, random_widths: Sequence[int], density: float | None = None, **options
) -> int:
    """The steps `method` reports (`SearchResult.steps`) on a random network of these widths
    at `density` (None: `_BUDGET_GUESS`), with `options` as the method takes them (`steps`,
    `generations`, `prune_fraction`; defaults elsewhere): training steps, IMP's over all its
    rounds, evolution's generations, annealing's moves. Not greedy's (data-dependent:
    `greedy_moves`)."""
    if method == "evolution":
        return options.get("generations", defaults.EVOLUTION_GENERATIONS)
    steps = options.get("steps", _STEPS[method])
    if method != "imp":
        return steps
    sizes = [a * b for a, b in itertools.pairwise(random_widths)]
    budgets = [max(1, round((density or _BUDGET_GUESS) * s)) for s in sizes]
    fraction = options.get("prune_fraction", defaults.IMP_PRUNE_FRACTION)
    return steps * (len(prune_schedule(sizes, budgets, fraction)) + 1)


def greedy_moves(target_widths: Sequence[int], n: Sequence[int], max_steps: int) -> list[int]:
    """Modelled moves of greedy per layer pair (module docstring): 1.5 √n_i per weight of
    target layer i, at most `max_steps`."""
    return [
        min(max_steps, math.ceil(_GREEDY_MOVES_PER_WEIGHT * math.sqrt(n_i) * a * b))
        for (a, b), n_i in zip(itertools.pairwise(target_widths), n, strict=True)
    ]


def _greedy_seconds(random_widths, target_widths, n, samples, max_steps) -> float:
    seconds = 0.0
    for i, moves in enumerate(greedy_moves(target_widths, n, max_steps)):
        d_in, h = random_widths[2 * i], random_widths[2 * i + 1]
        # units in use, min(h, 0.6 t) after t moves, averaged over the moves
        full = h / _GREEDY_UNITS_PER_MOVE
        used = _GREEDY_UNITS_PER_MOVE * moves / 2 if moves <= full else h - h * full / (2 * moves)
        seconds += moves * (_GREEDY_MOVE_S + _GREEDY_S_PER_ENTRY * samples * d_in * used)
    return seconds


def _annealing_move_seconds(random_widths, density, samples) -> float:
    """One move: the layers from the changed one on, that layer drawn in proportion to its
    kept weights."""
    sizes = [a * b for a, b in itertools.pairwise(random_widths)]
    budgets = [max(1, round(density * s)) for s in sizes]
    per_point = 0.0
    for layer, kept in enumerate(budgets):
        units, weights = sum(random_widths[layer + 1 :]), sum(sizes[layer:])
        work = _ANNEALING_S_PER_UNIT * units + _ANNEALING_S_PER_WEIGHT * weights
        per_point += kept / sum(budgets) * work
    return _ANNEALING_MOVE_S + samples * per_point


def search_seconds(
    method: str,
    random_widths: Sequence[int],
    target_widths: Sequence[int],
    n: Sequence[int],
    density: float | None = None,
) -> float:
    """Estimated CPU seconds of `search(method=method)` at its defaults on one thread, on a
    depth-2l random network of `random_widths` paired with a target of `target_widths` at
    `n` per layer (module docstring: the model); `density`: the budget (None: a guess)."""
    units = sum(random_widths[1:])
    weights = sum(a * b for a, b in itertools.pairwise(random_widths))
    density = density or _BUDGET_GUESS
    if method == "greedy":
        return _greedy_seconds(
            random_widths, target_widths, n, defaults.GREEDY_SAMPLES, defaults.GREEDY_MAX_STEPS
        )
    if method == "evolution":
        points = defaults.EVOLUTION_POPULATION * defaults.EVOLUTION_SAMPLES
        per_point = _EVOLUTION_S_PER_UNIT * units + _EVOLUTION_S_PER_WEIGHT * weights
        return search_steps(method, random_widths, density) * points * per_point
    if method == "annealing":
        moves = search_steps(method, random_widths, density) + _ANNEALING_CALIBRATION
        return moves * _annealing_move_seconds(random_widths, density, defaults.ANNEALING_SAMPLES)
    per_point = _TRAIN_S_PER_UNIT * units + _TRAIN_S_PER_WEIGHT * weights
    step = _TRAIN_STEP_S[method] + defaults.TRAIN_BATCH * per_point
    return search_steps(method, random_widths, density) * step
