"""`approx compare`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from ..common import add_empirical_options, float_list, int_list
from .names import CONSTRUCTIONS

# the library's argument names -> this command's flags, for error messages (`benchmark`'s
# arguments, the run it starts, and a method's or budget's own check: method=, density=)
FLAGS = {
    "target": "--target",
    "widths": "--widths",
    "depth": "--depth",
    "directions": "--directions",
    "construction": "--construction",
    "n": "--n",
    "methods": "--methods",
    "method": "--methods",
    "densities": "--densities",
    "density": "--densities",
    "seed": "--seed",
    "device": "--device",
    "empirical_samples": "--samples",
    "ascent_steps": "--ascent-steps",
    "out": "--out",
}


def add_parser(sub) -> None:
    s = sub.add_parser(
        "compare",
        help="every search and trained sparse baseline beside the constructions, one table",
        description=(
            "Draw a target and the construction's random network (as approx run does), prune it "
            "with every construction of that layout, and run each method on the same network: "
            "mask searches (edge-popup, greedy, supermask, evolution, annealing) and trained "
            "sparse networks (imp, gmp, rigl) at the construction's parameter count. Every row "
            "is measured the same way. --planted hides the target's ticket in the network first "
            "and reports how much of it each method finds. See docs/search.md."
        ),
    )
    d = defaults
    s.add_argument(
        "--target",
        choices=d.COMPARE_TARGETS,
        help="random (of --widths), relu-chain (of --depth layers) or circle "
        f"(default {d.COMPARE_TARGET})",
    )
    s.add_argument(
        "--widths",
        type=int_list("--widths"),
        help="random target d_0,...,d_l (default " + ",".join(map(str, d.COMPARE_WIDTHS)) + ")",
    )
    s.add_argument("--depth", type=int, help=f"relu-chain: layers (default {d.COMPARE_DEPTH})")
    s.add_argument(
        "--directions", type=int, help=f"circle: ReLU directions (default {d.CIRCLE_DIRECTIONS})"
    )
    s.add_argument(
        "--construction",
        help=f"whose random network: one of {sorted(CONSTRUCTIONS)} (default {d.CONSTRUCTION})",
    )
    s.add_argument(
        "--n",
        type=int_list("--n"),
        help=f"samples per weight: one value or one per layer (default {d.COMPARE_N})",
    )
    s.add_argument(
        "--methods",
        help=f"comma-separated, or all (default all): {', '.join(d.COMPARE_METHODS)}",
    )
    s.add_argument(
        "--densities",
        type=float_list("--densities"),
        help="budgets (fraction of every layer kept) of the methods that keep one; several give "
        "a curve per method (default: the construction's density)",
    )
    s.add_argument("--planted", action="store_true", help="plant the target's ticket first")
    s.add_argument("--seed", type=int, help=f"(default {d.SEED})")
    s.add_argument("--device", help=f"cpu or cuda[:k] (default {d.DEVICE})")
    add_empirical_options(s, d.EMPIRICAL_SAMPLES, d.ASCENT_STEPS)
    s.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    s.add_argument("--out", type=Path, help="directory for compare.json and error_vs_params.png")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(flags=FLAGS)
