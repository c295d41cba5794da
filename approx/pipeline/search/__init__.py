"""Searches that do not know the proof: masks over a dense random depth-2l network, found from
samples of the target alone, compared with the constructive masks on the same network.

The constructions (`approx.constructions`) know where the ticket is: which hidden unit serves
which target weight, and that a unit keeps one input edge. The searches here are given only
the random network's weights and the target as a function, and minimise the sampled error:
``edge-popup`` (`edge_popup`) and ``greedy`` (`greedy`), both seeded through one
`torch.Generator`, both running on small targets on a CPU in seconds. `compare` measures their
masks beside the construction's.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ...basics.errors import InvalidArgument
from ...basics.network import Network
from ...basics.sampling import spawn_seeds
from .base import SearchResult
from .edge_popup import edge_popup
from .greedy import greedy_layerwise

SEARCHES = {"edge-popup": edge_popup, "greedy": greedy_layerwise}
METHODS: tuple[str, ...] = tuple(SEARCHES)


def search(
    target: Network, random_net: Network, *, method: str, seed: int = 0, **options
) -> SearchResult:
    """Run `method` (one of `METHODS`) from `seed`; `options` go to `edge_popup` or
    `greedy_layerwise`."""
    if method not in METHODS:
        raise InvalidArgument(f"method={method!r} is not one of {list(METHODS)}")
    (child,) = spawn_seeds(seed, 1)
    gen = torch.Generator().manual_seed(child)
    result = SEARCHES[method](target, random_net, generator=gen, **options)
    return replace(result, seed=seed)
