"""`approx tightness`: the smallest n that works vs the theorem's n, and the fitted C."""

from __future__ import annotations

import argparse
import os

from ..basics import defaults
from ..basics.errors import InvalidArgument
from ..basics.files import check_not_overwriting, check_writable_file, write_text_atomic
from ..basics.progress import progress_bar
from ..experiments.conv_targets import checked_conv_targets
from ..experiments.runner import check_runner, make_runner
from ..experiments.store import ResultStore, canonical_json
from ..experiments.tightness import check_row, constructions_named, tightness
from ..experiments.tightness_table import format_table
from .common import given


def conv_rows(args: argparse.Namespace, names: list[str]):
    """(widths, target spec as canonical JSON) per --conv or --target target, and the
    constructions that cover them (all of them for --construction all, else each checked):
    `approx.experiments.conv_targets`, as a sweep file's keys."""
    if args.widths:
        raise InvalidArgument("give the targets one way: --widths, or --conv / --target")
    table = {"conv": [list(c) for c in args.conv or []], "target": args.target or []}
    table = {k: v for k, v in table.items() if v}
    if args.input_shape is not None:
        table["input_shape"] = list(args.input_shape)
    table |= given(kernel=args.kernel, padding=args.padding)
    pairs, names = checked_conv_targets(table, names, every=args.construction == "all")
    return [w for _, w in pairs], [canonical_json(spec) for spec, _ in pairs], names


def command(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_writable_file(args.out, "--out")  # before any work: nothing computed is lost
        if args.store is not None:
            check_not_overwriting(args.out, "--out", args.store, "the --store of the probes")
    names = constructions_named(args.construction.split(","))
    shapes = args.widths or [defaults.TIGHTNESS_WIDTHS]
    targets = [""] * len(shapes)
    if args.conv or args.target:
        shapes, targets, names = conv_rows(args, names)
    delta = defaults.TIGHTNESS_DELTA if args.delta is None else args.delta
    seeds = defaults.TIGHTNESS_SEEDS if args.seeds is None else args.seeds
    plan = [
        (name, shape, target, eps)
        for name in names
        for shape, target in zip(shapes, targets, strict=True)
        for eps in args.eps or defaults.TIGHTNESS_EPS_BY.get(name, defaults.TIGHTNESS_EPS)
    ]
    options = given(solver=args.solver, error=args.error)
    for name, shape, target, eps in plan:  # every row's arguments, before the first row runs
        check_row(
            name, shape, eps, delta, seeds=seeds, n_max=args.n_max, C=args.C, target=target,
            **options,
        )  # fmt: skip
    scheduler = args.scheduler or os.environ.get(defaults.SCHEDULER_ENV) or None
    check_runner(args.workers, scheduler)  # before the store is opened (or created)
    rows = []
    with (
        ResultStore(args.store) as store,
        make_runner(store, args.workers, scheduler, progress=False) as runner,
        progress_bar(
            len(plan) * seeds, desc="approx tightness", unit="seed", enabled=not args.quiet
        ) as bar,
    ):
        for name, shape, target, eps in plan:
            rows.append(
                tightness(
                    runner,
                    name,
                    shape,
                    eps,
                    delta,
                    seeds=seeds,
                    n_max=args.n_max,
                    C=args.C,
                    settled=bar.update,
                    target=target,
                    **options,
                )
            )
    table = format_table(rows, args.format)
    print(table, end="", flush=True)  # first: an output error below must not lose it
    if args.out is not None:
        try:
            write_text_atomic(args.out, table)
        except OSError as e:
            raise InvalidArgument(
                f"--out={str(args.out)!r}: could not write the table ({e.strerror or e}); it is "
                "printed above"
            ) from None
    return 0
