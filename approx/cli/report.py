"""`approx report`: one self-contained HTML page about a results store."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from importlib import metadata

from ..basics import defaults
from ..basics.versions import software_versions
from ..experiments.htmlreport import ProofChecks, write_report
from .check_proofs import run_checks


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
