"""`approx run`: one target through a construction, the table (or JSON) and optional files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ..basics import defaults
from ..basics.devices import DTYPES
from ..basics.errors import InvalidArgument
from ..basics.loading import load_network
from ..constructions import CONSTRUCTIONS
from ..engine.subset_sum import SOLVERS
from ..experiments.figures import plot_run
from ..pipeline.report import format_run
from ..pipeline.result import RunResult
from ..pipeline.run import run
from .common import add_empirical_options, given, int_list, one_or_list


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
        "--quiet", action="store_true", help="no progress bar (shown on stderr after 2 s)"
    )
    p.add_argument(
        "--out", type=Path, help="write result.json, error.png and network.pt to this directory"
    )
    p.set_defaults(func=command)


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
        help="target from a torch.save file: nn.Sequential of Linear/ReLU, state dict, or list "
        "of weight tensors",
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


def write_out(result: RunResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    plot_run(result, out / "error.png")
    art = result.artifacts

    def cpu(ts):
        return [None if t is None else t.cpu() for t in ts]

    bias_masks = art.pruned.masks.biases or (None,) * art.random_net.depth
    torch.save(
        {
            "target": [w.cpu() for w in art.target.weights],
            "random": [w.cpu() for w in art.random_net.weights],
            "masks": [m.cpu() for m in art.pruned.masks.masks],
            "row_methods": _row_methods(art.pruned.row_methods),
            # added with biases and activations (None where a layer has no bias)
            "target_biases": cpu(art.target.biases),
            "random_biases": cpu(art.random_net.biases),
            "bias_masks": cpu(bias_masks),
            "activation": result.activation,
        },
        out / "network.pt",
    )


def _row_methods(rows) -> list[dict] | None:
    """Per target layer, how each per-weight instance was solved (docs/outputs.md)."""
    if rows is None:
        return None
    return [
        {
            "names": list(r.names),
            "how": r.how.cpu(),
            "valid": r.valid.cpu(),
            "searched": r.searched.cpu(),
        }
        for r in rows
    ]


def command(args: argparse.Namespace) -> int:
    if args.target is not None and (args.activation is not None or args.bias):
        raise InvalidArgument(
            "--activation and --bias describe a random target (--widths); a --target file "
            "carries its own"
        )
    # the file's own dtype: the class check allows for its rounding (run converts after)
    target = None if args.target is None else load_network(args.target, dtype=None)
    widths = None if target is not None else (args.widths or defaults.WIDTHS)
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InvalidArgument(f"--out={str(args.out)!r} exists and is not a directory")
    result = run(
        target,
        widths=widths,
        n=one_or_list(args.n),
        C=args.C,
        rescale=args.rescale,
        weight_tolerance=args.weight_tol,
        progress=not args.quiet,
        density=args.density,
        **given(
            eps=args.eps,
            delta=args.delta,
            construction=args.construction,
            solver=args.solver,
            seed=args.seed,
            device=args.device,
            dtype=args.dtype,
            empirical_samples=args.samples,
            ascent_steps=args.ascent_steps,
            activation=args.activation,
            error=args.error,
            sandwich_boxes=args.sandwich_boxes,
        ),
        **({"bias": True} if args.bias else {}),
    )
    if args.out is not None:
        write_out(result, args.out)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(format_run(result))
        if args.out is not None:
            print(f"\n  wrote {args.out}/result.json, error.png, network.pt")
    return 0
