"""`approx run`: one target through a construction, the table (or JSON) and optional files."""

from __future__ import annotations

import argparse
import errno
import json
from pathlib import Path

import torch

from ..basics import defaults
from ..basics.devices import DTYPES
from ..basics.errors import InvalidArgument
from ..basics.files import check_writable_dir, write_files_atomic
from ..basics.loading import load_network
from ..constructions import CONSTRUCTIONS
from ..engine.subset_sum import SOLVERS
from ..experiments.figures import plot_run
from ..pipeline.export import export_ticket
from ..pipeline.report import format_run
from ..pipeline.result import RunResult
from ..pipeline.run import run
from .common import add_empirical_options, given, int_list, one_or_list

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
    p.set_defaults(func=command, flags=FLAGS)


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


def write_out(result: RunResult, out: Path) -> None:
    """result.json, error.png and network.pt in `out`: all three, or (on any error, e.g. a full
    disk) none of them and no directory this call created."""
    art = result.artifacts
    network = {
        "target": [w.cpu() for w in art.target.weights],
        "random": [w.cpu() for w in art.random_net.weights],
        "masks": [m.cpu() for m in art.pruned.masks.masks],
        "row_methods": _row_methods(art.pruned.row_methods),
        # added with biases and activations (None where a layer has no bias)
        "target_biases": _cpu(art.target.biases),
        "random_biases": _cpu(art.random_net.biases),
        "bias_masks": _cpu(art.pruned.masks.biases or (None,) * art.random_net.depth),
        "activation": result.activation,
    }
    text = json.dumps(result.to_json(), indent=2) + "\n"
    write_files_atomic(
        out,
        {
            "result.json": lambda tmp: tmp.write_text(text, encoding="utf-8"),
            "error.png": lambda tmp: plot_run(result, tmp),
            "network.pt": lambda tmp: _save_tensors(network, tmp),
        },
    )


def _cpu(tensors) -> list:
    return [None if t is None else t.cpu() for t in tensors]


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


def _write_or_refuse(option: str, out: Path, write):
    """`write()`, its OSError (a full disk, an unwritable path) made one line naming `option`:
    the writers leave all their files or none."""
    try:
        return write()
    except OSError as e:
        raise InvalidArgument(
            f"{option}={str(out)!r}: could not write the files ({e.strerror or e}); none "
            "was left there (the result is printed above)"
        ) from None


def _save_tensors(obj, path: Path) -> None:
    """torch.save to a path; its C++ writer reports a full disk as a RuntimeError (and, given
    a Python file object instead, may not report it at all), made an OSError here."""
    try:
        torch.save(obj, path)
    except RuntimeError as e:
        first = (str(e).strip().splitlines() or ["RuntimeError"])[0]
        raise OSError(errno.EIO, f"torch.save failed: {first} (is the disk full?)") from None


def command(args: argparse.Namespace) -> int:
    if args.target is not None and (args.activation is not None or args.bias):
        raise InvalidArgument(
            "--activation and --bias describe a random target (--widths); a --target file "
            "carries its own"
        )
    if args.target is None and args.input_shape is not None:
        raise InvalidArgument("--input-shape describes a --target file's input")
    if args.out is not None:
        check_writable_dir(args.out, "--out")  # before any work: nothing computed is lost
    if args.export is not None:
        check_writable_dir(args.export, "--export")
    # the file's own dtype: the class check allows for its rounding (run converts after)
    target = (
        None
        if args.target is None
        else load_network(args.target, dtype=None, input_shape=args.input_shape)
    )
    widths = None if target is not None else (args.widths or defaults.WIDTHS)
    result = run(
        target,
        widths=widths,
        n=one_or_list(args.n),
        C=args.C,
        rescale=args.rescale,
        weight_tolerance=args.weight_tol,
        progress=not args.quiet,
        density=args.density,
        max_memory_gib=args.max_memory,
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
    # the result first: an output error below must not lose it
    print(json.dumps(result.to_json()) if args.json else format_run(result), flush=True)
    if args.out is not None:
        _write_or_refuse("--out", args.out, lambda: write_out(result, args.out))
        if not args.json:
            print(f"\n  wrote {args.out}/result.json, error.png, network.pt")
    if args.export is not None:
        art = result.artifacts
        written = _write_or_refuse(
            "--export",
            args.export,
            lambda: export_ticket(art.random_net, art.pruned.masks, args.export),
        )
        if not args.json:
            print(f"  wrote {', '.join(str(p) for p in written)}")
    return 0
