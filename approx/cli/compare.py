"""`approx compare`: every search and trained baseline beside the constructions, on one target
and one random network (optionally with a planted ticket)."""

from __future__ import annotations

import argparse
import json
import sys

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.files import check_writable_dir, write_files_atomic
from ..basics.units import format_seconds
from ..experiments.figures.compare import plot_benchmarks
from ..experiments.threads import limited_threads
from ..pipeline.search.benchmark import benchmark, estimate_seconds
from ..pipeline.search.table import format_benchmark
from .common import given, one_or_list


def _methods(args: argparse.Namespace) -> str | tuple[str, ...] | None:
    if args.methods is None:
        return None
    return "all" if args.methods == "all" else tuple(m.strip() for m in args.methods.split(","))


def _comparison(args: argparse.Namespace) -> dict:
    """The flags that say what is compared, as `benchmark` and `estimate_seconds` name them."""
    return {
        "target": args.target,
        "widths": args.widths,
        "depth": args.depth,
        "directions": args.directions,
        "construction": args.construction,
        "n": one_or_list(args.n),
        "methods": _methods(args),
        "densities": args.densities,
        "planted": args.planted or None,
        "empirical_samples": args.samples,
        "ascent_steps": args.ascent_steps,
    }


def announcement(args: argparse.Namespace) -> str:
    """The line announcing the comparison's estimated time (`estimate_seconds`, on one thread)
    when it exceeds `defaults.ANNOUNCE_SECONDS`, as `approx run` announces its own; "" for a
    quick one. The estimate only announces: what it refuses (on the default device) is left to
    the comparison itself to refuse, on the device the user asked for."""
    try:
        seconds = estimate_seconds(**given(**_comparison(args)))
    except InvalidArgument:
        return ""
    if seconds <= defaults.ANNOUNCE_SECONDS:
        return ""
    return f"approx compare: about {format_seconds(seconds)} (estimated, on one thread)"


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
    if not args.quiet:
        line = announcement(args)
        if line:
            print(line, file=sys.stderr, flush=True)
    # small networks: one thread is fastest, and two pools would fight (restored after)
    with limited_threads():
        result = benchmark(
            **given(**_comparison(args), seed=args.seed, device=args.device),
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
