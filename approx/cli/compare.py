"""`approx compare`: every search and trained baseline beside the constructions, on one target
and one random network (optionally with a planted ticket)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.files import check_writable_dir, write_files_atomic
from ..constructions import CONSTRUCTIONS
from ..experiments.figures.compare import plot_benchmarks
from ..experiments.threads import limited_threads
from ..pipeline.search import METHODS
from ..pipeline.search.benchmark import benchmark
from ..pipeline.search.table import format_benchmark
from .common import add_empirical_options, float_list, given, int_list, one_or_list


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
        help=f"comma-separated, or all (default all): {', '.join(METHODS)}",
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
    s.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_writable_dir(args.out, "--out")
    target = args.target or defaults.COMPARE_TARGET
    for flag, value, applies in (
        ("--widths", args.widths, "random"),
        ("--depth", args.depth, "relu-chain"),
        ("--directions", args.directions, "circle"),
    ):
        if value is not None and target != applies:
            raise InvalidArgument(f"{flag} applies to --target {applies}, not {target}")
    methods = None
    if args.methods is not None:
        methods = (
            "all" if args.methods == "all" else tuple(m.strip() for m in args.methods.split(","))
        )
    # small networks: one thread is fastest, and two pools would fight (restored after)
    with limited_threads():
        result = benchmark(
            **given(
                target=args.target,
                widths=args.widths,
                depth=args.depth,
                directions=args.directions,
                construction=args.construction,
                n=one_or_list(args.n),
                methods=methods,
                seed=args.seed,
                densities=args.densities,
                planted=args.planted or None,
                device=args.device,
                empirical_samples=args.samples,
                ascent_steps=args.ascent_steps,
            ),
            progress=not args.quiet,
        )
    data = result.to_json()
    # the result first: an output error below must not lose it
    print(json.dumps(data) if args.json else format_benchmark(result), flush=True)
    if args.out is not None:
        text = json.dumps(data, indent=1)
        try:  # both files or (a full disk, an unwritable place) neither
            write_files_atomic(
                args.out,
                {
                    "compare.json": lambda tmp: tmp.write_text(text, encoding="utf-8"),
                    "error_vs_params.png": lambda tmp: plot_benchmarks([data], tmp),
                },
            )
        except OSError as e:
            raise InvalidArgument(
                f"--out={str(args.out)!r}: could not write the files ({e.strerror or e}); none "
                "was left there (the result is printed above)"
            ) from None
        print(f"wrote {args.out}/compare.json and error_vs_params.png", file=sys.stderr)
    return 0
