"""What every search returns, and the pairing of a depth-2l random network with its target
that the searches rely on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ...basics.errors import InvalidArgument
from ...basics.masks import Masks
from ...basics.network import Network
from ...basics.progress import RUN_DELAY, progress_bar


@dataclass(frozen=True)
class SearchResult:
    """What one search found: the masks, the sampled mean squared error along the way
    (`history`, one value per `eval_every` steps for edge-popup, per move for greedy) and its
    configuration and seed. `network`: None when the masks select weights of the random
    network; the network the method computes when it changed the weights (a trained
    baseline, or a supermask with signed constants), whose nonzero weights `masks` marks."""

    method: str
    masks: Masks
    history: tuple[float, ...]
    steps: int
    seconds: float
    seed: int
    config: dict = field(default_factory=dict)
    network: Network | None = None


def check_pairing(target: Network, random_net: Network) -> None:
    if random_net.depth != 2 * target.depth:
        raise InvalidArgument(
            f"random_net has depth {random_net.depth}; the searches pair its layers with the "
            f"target's, so it needs 2 x target depth = {2 * target.depth}"
        )
    if random_net.widths[::2] != target.widths:
        raise InvalidArgument(
            f"random_net widths {list(random_net.widths)} must have the target's widths "
            f"{list(target.widths)} at every other position"
        )


def counted(total: int, desc: str, unit: str, progress: bool) -> Iterator[int]:
    """1, …, `total`, with a progress bar on stderr when `progress` (shown once the loop has
    taken a few seconds)."""
    with progress_bar(total, desc=desc, unit=unit, enabled=progress, delay=RUN_DELAY) as bar:
        for i in range(1, total + 1):
            yield i
            bar.update(1)
