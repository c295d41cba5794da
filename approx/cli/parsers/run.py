"""`approx run`'s options."""

from __future__ import annotations

from pathlib import Path

from ...basics import defaults
from ..common import add_empirical_options, int_list
from .names import CONSTRUCTIONS, DTYPES, SOLVERS

# the library's argument names -> this command's flags, for error messages
FLAGS = {
    "widths": "--widths",
    "target": "--target",
    "eps": "--eps",
    "delta": "--delta",
    "construction": "--construction",
    "n": "--n",
    "C": "--C",
    "solver": "--solver",
    "weight_tolerance": "--weight-tol",
    "tolerance": "--weight-tol",
    "seed": "--seed",
    "device": "--device",
    "dtype": "--dtype",
    "empirical_samples": "--samples",
    "ascent_steps": "--ascent-steps",
    "max_memory_gib": "--max-memory",
    "export": "--export",
    "activation": "--activation",
    "bias": "--bias",
    "density": "--density",
    "rescale": "--rescale",
}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "run",
        help="prune a random network to approximate a target and measure the error",
        description=(
            "Sample the construction's random network, find the subnetwork (masks) that "
            "approximates the target, and report the per-weight, certified and empirical error."
        ),
    )
    _add_target_options(p)
    _add_construction_options(p)
    p.add_argument("--seed", type=int, help=f"(default {defaults.SEED})")
    p.add_argument(
        "--rescale",
        action="store_true",
        help="rescale target layers outside the theorem's class into it instead of refusing",
    )
    p.add_argument("--device", help=f"cpu or cuda[:k] (default {defaults.DEVICE})")
    p.add_argument("--dtype", help=f"one of {sorted(DTYPES)} (default {defaults.DTYPE})")
    add_empirical_options(p, defaults.EMPIRICAL_SAMPLES, defaults.ASCENT_STEPS)
    p.add_argument(
        "--error",
        choices=defaults.ERROR_METHODS,
        help=f"how to measure sup||f - g||: certified (the certified bound and the empirical "
        f"estimate) or sandwich (also upper and lower values that close: exact for 1 or 2 "
        f"inputs, else branch and bound; docs/error.md) (default {defaults.ERROR_METHOD})",
    )
    p.add_argument(
        "--sandwich-boxes",
        type=int,
        help=f"--error sandwich: most input boxes bounded (default {defaults.SANDWICH_BOXES:,})",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (shown on stderr after 2 s) and no time estimate (long runs)",
    )
    p.add_argument(
        "--out", type=Path, help="write result.json, error.png and network.pt to this directory"
    )
    p.add_argument(
        "--export",
        type=Path,
        help="write the ticket as standalone models to this directory: ticket.pt (dead units "
        "removed, an nn.Sequential), ticket_sparse.pt (CSR weights), random_pruned.pt (torch's "
        "prune.custom_from_mask on the random network), ticket.json",
    )
    p.add_argument(
        "--max-memory",
        type=float,
        help="refuse the run if its estimated peak memory exceeds this many GiB (default: the "
        "memory available); the empirical phase is evaluated in chunks that fit",
    )
    p.set_defaults(flags=FLAGS)


def _add_target_options(p) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--widths",
        type=int_list("--widths"),
        help="random target with these widths d_0,...,d_l (default "
        + ",".join(map(str, defaults.WIDTHS))
        + ")",
    )
    src.add_argument(
        "--target",
        type=Path,
        help="target from a torch.save file: nn.Sequential of Linear/Conv2d/ReLU (Flatten), "
        "state dict, or list of weight tensors",
    )
    p.add_argument(
        "--input-shape",
        type=int_list("--input-shape"),
        help="--target only: the input shape C,H,W of a target that starts with a convolution "
        "(e.g. 1,8,8; --construction cnn)",
    )
    p.add_argument(
        "--activation",
        help="random target (--widths) only: the activation between its layers, one of relu, "
        f"leaky_relu, leaky_relu(SLOPE), tanh, sigmoid (default {defaults.ACTIVATION}); a "
        "--target file carries its own",
    )
    p.add_argument(
        "--bias",
        action="store_true",
        help="random target (--widths) only: give its layers Uniform[-1, 1] biases",
    )


def _add_construction_options(p) -> None:
    p.add_argument("--eps", type=float, help=f"target error eps (default {defaults.EPS})")
    p.add_argument("--delta", type=float, help=f"failure probability (default {defaults.DELTA})")
    p.add_argument(
        "--construction",
        help=f"one of {sorted(CONSTRUCTIONS)} (default {defaults.CONSTRUCTION})",
    )
    p.add_argument(
        "--n",
        type=int_list("--n"),
        help="samples per weight: one value for all layers or one per layer "
        "(default: the theorem's formula with --C)",
    )
    p.add_argument(
        "--C",
        type=float,
        help="constant C in the theorem's width formula (default: the construction's own: "
        + ", ".join(f"{k} {v:g}" for k, v in defaults.C.items())
        + "; pensia's is our calibration, malach's is proven for our width derivation)",
    )
    p.add_argument("--solver", help=f"one of {list(SOLVERS)} (default {defaults.SOLVER})")
    p.add_argument(
        "--weight-tol",
        type=float,
        help="--solver fewest only: per-weight error within which the sparsest subset is kept "
        "(default eps / (2 l sqrt(2 max d_{i-1} d_i)): certified error <= eps when all reach it)",
    )
    p.add_argument(
        "--density",
        type=float,
        help="ticket density gamma in (0, 1): keep at most this fraction of the random network's "
        f"weights (constructions with a density option: natale, default {defaults.NATALE_DENSITY})",
    )
