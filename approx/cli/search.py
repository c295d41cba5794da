"""`approx search`: masks found without the construction's blueprint, beside its masks."""

from __future__ import annotations

import argparse
import json

from ..basics import defaults
from ..basics.loading import load_network
from ..pipeline.report import format_comparison
from ..pipeline.search.compare import compare
from .common import given, one_or_list


def command(args: argparse.Namespace) -> int:
    methods = None if args.method is None else tuple(m.strip() for m in args.method.split(","))
    target = None if args.target is None else load_network(args.target, dtype=None)
    comparison = compare(
        target=target,
        rescale=args.rescale,
        widths=None if target is not None else (args.widths or defaults.SEARCH_WIDTHS),
        **given(
            construction=args.construction,
            n=one_or_list(args.n),
            methods=methods,
            seed=args.seed,
            density=args.density,
            steps=args.steps,
            lr=args.lr,
            samples=args.points,
            max_steps=args.max_steps,
            empirical_samples=args.samples,
            ascent_steps=args.ascent_steps,
        ),
    )
    if args.json:
        print(json.dumps(comparison.to_json()))
    else:
        print(format_comparison(comparison))
    return 0
