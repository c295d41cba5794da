"""`approx search`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from ..common import add_empirical_options, int_list
from .names import CONSTRUCTIONS

# the library's argument names -> this command's flags, for error messages
FLAGS = {
    "widths": "--widths",
    "target": "--target",
    "rescale": "--rescale",
    "construction": "--construction",
    "n": "--n",
    "method": "--method",
    "density": "--density",
    "steps": "--steps",
    "lr": "--lr",
    "samples": "--points",
    "max_steps": "--max-steps",
    "seed": "--seed",
    "empirical_samples": "--samples",
    "ascent_steps": "--ascent-steps",
}


def add_parser(sub) -> None:
    s = sub.add_parser(
        "search",
        help="search masks without the construction's blueprint and compare with its masks",
        description=(
            "Draw a target and the construction's random network (as approx run does), prune it "
            "with the construction, then search the same network with edge-popup and/or the "
            "greedy layer-wise search, which see only the network and the target as a function. "
            "Every set of masks is measured the same way. See docs/search.md."
        ),
    )
    d = defaults
    src = s.add_mutually_exclusive_group()
    src.add_argument(
        "--widths",
        type=int_list("--widths"),
        help="random target d_0,...,d_l (default " + ",".join(map(str, d.SEARCH_WIDTHS)) + ")",
    )
    src.add_argument(
        "--target",
        type=Path,
        help="target from a torch.save file, as approx run --target takes",
    )
    s.add_argument(
        "--rescale",
        action="store_true",
        help="rescale target layers outside the theorem's class into it instead of refusing",
    )
    s.add_argument(
        "--construction",
        help=f"whose random network and masks to compare with: one of {sorted(CONSTRUCTIONS)} "
        f"(default {d.CONSTRUCTION})",
    )
    s.add_argument(
        "--n",
        type=int_list("--n"),
        help="samples per weight (the random net's width): one value or one per layer "
        f"(default {d.SEARCH_N})",
    )
    s.add_argument(
        "--method",
        help="comma-separated: edge-popup, greedy (default " + ",".join(d.SEARCH_METHODS) + ")",
    )
    s.add_argument(
        "--density",
        type=float,
        help=f"edge-popup: fraction of each layer's weights kept (default {d.EDGE_POPUP_DENSITY})",
    )
    s.add_argument(
        "--steps", type=int, help=f"edge-popup: Adam steps (default {d.EDGE_POPUP_STEPS})"
    )
    s.add_argument(
        "--lr", type=float, help=f"edge-popup: Adam step size (default {d.EDGE_POPUP_LR})"
    )
    s.add_argument(
        "--points", type=int, help=f"greedy: sphere points it fits (default {d.GREEDY_SAMPLES})"
    )
    s.add_argument(
        "--max-steps", type=int, help=f"greedy: most moves per layer pair ({d.GREEDY_MAX_STEPS})"
    )
    s.add_argument("--seed", type=int, help=f"(default {d.SEED})")
    add_empirical_options(s, d.EMPIRICAL_SAMPLES, d.ASCENT_STEPS)
    s.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    s.set_defaults(flags=FLAGS)
