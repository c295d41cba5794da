"""`approx report`: one self-contained HTML page about a results store."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ..basics import defaults
from ..basics.versions import software_versions
from ..experiments.htmlreport import ProofChecks, write_report
from .check_proofs import run_checks


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML page about a results store",
        description=(
            "Write OUT/index.html: the run table, every figure the store supports (embedded), "
            "subset-sum success with Wilson 95%% intervals, the tightness table the runs settle, "
            "the proofs_check table (run for the page), failed points, the environment, and the "
            "commands that reproduce each figure. "
            "It needs no network to view (docs/report.md)."
        ),
    )
    p.add_argument("store", type=Path, help="a store written by approx sweep or tightness")
    p.add_argument("--out", type=Path, required=True, help="directory for index.html")
    p.add_argument(
        "--proofs-check",
        choices=defaults.REPORT_PROOFS_CHECK_MODES,
        help="run the proofs_check checks for the page: quick (half a minute), full (~20 min) "
        f"or none (the page says they were left out; default {defaults.REPORT_PROOFS_CHECK})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=command)


def run_proofs(mode: str, progress: bool = True) -> ProofChecks:
    """Run proofs_check in `mode` ("quick" or "full") for the page, recording when it started,
    how long it took and the software that ran it."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    results = run_checks(mode == "quick", defaults.PROOFS_CHECK_SEED, progress)
    return ProofChecks(
        results=results,
        mode=mode,
        seed=defaults.PROOFS_CHECK_SEED,
        started_at=started,
        seconds=time.perf_counter() - t0,
        versions={**software_versions(), "sympy": metadata.version("sympy")},
    )


def command(args: argparse.Namespace) -> int:
    mode = args.proofs_check or defaults.REPORT_PROOFS_CHECK
    ran: list[ProofChecks] = []

    def checks() -> ProofChecks:  # run by write_report once the store and --out are checked
        ran.append(run_proofs(mode, progress=not args.quiet))
        return ran[-1]

    path = write_report(args.store, args.out, None if mode == "none" else checks)
    print(f"wrote {path}")
    failed = [r.name for c in ran for r in c.results if r.status != "pass"]
    if failed:
        print(
            f"approx report: {len(failed)} proofs_check checks failed (on the page): "
            + ", ".join(failed),
            file=sys.stderr,
        )
    return 0
