"""Searches that do not know the proof: masks over a dense random depth-2l network, found from
samples of the target alone, compared with the constructive masks on the same network, and the
trained sparse networks the lottery-ticket literature builds instead.

The constructions (`approx.constructions`) know where the ticket is: which hidden unit serves
which target weight, and that a unit keeps one input edge. The searches here are given only
the random network's weights and the target as a function, and minimise the sampled error:
``edge-popup`` (`edge_popup`) and ``greedy`` (`greedy`), ``supermask`` (`supermask`), a
genetic algorithm ``evolution`` (`evolution`) and simulated ``annealing`` (`annealing`) find
masks over the random weights; ``imp`` (`imp`, iterative magnitude pruning with rewinding),
``gmp`` (`gmp`, gradual magnitude pruning) and ``rigl`` (`rigl`, sparse training) train the
weights and return a trained sparse network (`SearchResult.network`). Every method is seeded
through one `torch.Generator` and runs on the random network's device. `compare` measures the
first two beside the construction (`approx search`); `benchmark` measures all of them
(`approx compare`).
"""

from __future__ import annotations

import inspect
from dataclasses import replace

import torch

from ...basics.errors import InvalidArgument
from ...basics.network import Network
from ...basics.sampling import spawn_seeds
from .annealing import annealed_masks
from .base import SearchResult
from .edge_popup import edge_popup
from .evolution import genetic_masks
from .gmp import gradual_magnitude_pruning
from .greedy import greedy_layerwise
from .imp import iterative_magnitude_pruning
from .rigl import rigl
from .supermask import supermask

SEARCHES = {
    "edge-popup": edge_popup,
    "greedy": greedy_layerwise,
    "supermask": supermask,
    "imp": iterative_magnitude_pruning,
    "gmp": gradual_magnitude_pruning,
    "rigl": rigl,
    "evolution": genetic_masks,
    "annealing": annealed_masks,
}
METHODS: tuple[str, ...] = tuple(SEARCHES)
# Methods that keep a budget `density` (the fraction of every layer kept); the supermask and
# greedy choose their own density.
TAKES_DENSITY = frozenset({"edge-popup", "imp", "gmp", "rigl", "evolution", "annealing"})
# Methods that change the weights: their result is a trained network, not a subnetwork.
TRAINED = frozenset({"imp", "gmp", "rigl"})


def search(
    target: Network, random_net: Network, *, method: str, seed: int = 0, **options
) -> SearchResult:
    """Run `method` (one of `METHODS`) from `seed`; `options` go to the method's function
    (`edge_popup`, `greedy_layerwise`, `supermask`, `iterative_magnitude_pruning`,
    `gradual_magnitude_pruning`, `rigl`, `genetic_masks`, `annealed_masks`)."""
    if not isinstance(method, str) or method not in METHODS:
        raise InvalidArgument(f"method={method!r} is not one of {list(METHODS)}")
    for name, net in (("target", target), ("random_net", random_net)):
        if not isinstance(net, Network):
            raise InvalidArgument(f"{name} is a {type(net).__name__}, not an approx.Network")
    if (target.dtype, target.device) != (random_net.dtype, random_net.device):
        raise InvalidArgument(
            f"target is {target.dtype} on {target.device} but random_net is {random_net.dtype} "
            f"on {random_net.device}; convert one (Network.to)"
        )
    fn = SEARCHES[method]
    params = inspect.signature(fn).parameters
    known = set(params) - {"target", "random_net", "generator"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidArgument(
            f"method={method!r} takes no option(s) {unknown}; it takes {sorted(known)}"
        )
    missing = sorted(k for k in known - set(options) if params[k].default is params[k].empty)
    if missing:
        raise InvalidArgument(f"method={method!r} needs the option(s) {missing}")
    (child,) = spawn_seeds(seed, 1)
    gen = torch.Generator().manual_seed(child)
    result = fn(target, random_net, generator=gen, **options)
    return replace(result, seed=seed)
