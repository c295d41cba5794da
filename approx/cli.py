"""The `approx` command: a thin argparse layer over the public API.

Usage errors (bad arguments, files, targets that break a theorem's assumptions) print one line
`approx: error: …` on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from .bounds import DEFAULT_C
from .constructions import CONSTRUCTIONS
from .errors import InvalidArgument
from .nets import ReLUNet
from .run import DTYPES, RunResult, run
from .subset_sum import SOLVERS

DEFAULT_WIDTHS = (16, 16, 16, 4)


def _int_list(name: str):
    def parse(text: str) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name}={text!r} must be comma-separated integers, e.g. 16,16,4"
            ) from None
        if any(v < 1 for v in values):
            raise argparse.ArgumentTypeError(f"{name}={text!r} must be positive integers")
        return values

    return parse


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="approx",
        description="Numerical checks of the strong lottery ticket theorems.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "run",
        help="prune a random network to approximate a target and measure the error",
        description=(
            "Sample the construction's random network, find the subnetwork (masks) that "
            "approximates the target, and report the per-weight, certified and empirical error."
        ),
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--widths",
        type=_int_list("--widths"),
        help="random target with these widths d_0,...,d_l (default "
        + ",".join(map(str, DEFAULT_WIDTHS))
        + ")",
    )
    src.add_argument(
        "--target",
        type=Path,
        help="target from a torch.save file: nn.Sequential of Linear/ReLU, state dict, or list "
        "of weight tensors",
    )
    p.add_argument("--eps", type=float, default=0.01, help="target error eps (default 0.01)")
    p.add_argument("--delta", type=float, default=0.01, help="failure probability (default 0.01)")
    p.add_argument(
        "--construction", default="pensia", help=f"one of {sorted(CONSTRUCTIONS)} (default pensia)"
    )
    p.add_argument(
        "--n",
        type=_int_list("--n"),
        help="samples per weight: one value for all layers or one per layer "
        "(default: the theorem's formula with --C)",
    )
    p.add_argument(
        "--C",
        type=float,
        default=DEFAULT_C,
        help=f"constant in the theorem's width formula (default {DEFAULT_C:g}, our calibration)",
    )
    p.add_argument("--solver", default="exact", help=f"one of {list(SOLVERS)} (default exact)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--rescale",
        action="store_true",
        help="rescale target layers with spectral norm > 1 to norm 1 instead of refusing",
    )
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    p.add_argument("--dtype", default="float64", help=f"one of {sorted(DTYPES)} (default float64)")
    p.add_argument(
        "--samples", type=int, default=4096, help="sphere points for the empirical error"
    )
    p.add_argument(
        "--ascent-steps", type=int, default=100, help="gradient-ascent steps (empirical error)"
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument(
        "--out", type=Path, help="write result.json, error.png and network.pt to this directory"
    )

    c = sub.add_parser("check-proofs", help="run proofs_check (symbolic and numerical checks)")
    c.add_argument("args", nargs=argparse.REMAINDER, help="passed to python -m proofs_check")
    return parser


def _write_out(result: RunResult, out: Path) -> None:
    from .plotting import plot_run  # matplotlib only when a plot is asked for

    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result.to_json(), indent=2) + "\n")
    plot_run(result, out / "error.png")
    art = result.artifacts
    torch.save(
        {
            "target": [w.cpu() for w in art.target.weights],
            "random": [w.cpu() for w in art.random_net.weights],
            "masks": [m.cpu() for m in art.pruned.masks.masks],
        },
        out / "network.pt",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    target = None
    if args.target is not None:
        target = ReLUNet.load(args.target)
    widths = None if target is not None else (args.widths or DEFAULT_WIDTHS)
    n = None
    if args.n is not None:
        n = args.n[0] if len(args.n) == 1 else args.n
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InvalidArgument(f"--out={str(args.out)!r} exists and is not a directory")
    result = run(
        target,
        widths=widths,
        eps=args.eps,
        delta=args.delta,
        construction=args.construction,
        n=n,
        C=args.C,
        solver=args.solver,
        seed=args.seed,
        rescale=args.rescale,
        device=args.device,
        dtype=args.dtype,
        empirical_samples=args.samples,
        ascent_steps=args.ascent_steps,
    )
    if args.out is not None:
        _write_out(result, args.out)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        from .report import format_run

        print(format_run(result))
        if args.out is not None:
            print(f"\n  wrote {args.out}/result.json, error.png, network.pt")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "check-proofs":
            import proofs_check

            return proofs_check.main(args.args)
    except InvalidArgument as e:
        print(f"approx: error: {e}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
