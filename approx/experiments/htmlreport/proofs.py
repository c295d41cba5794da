"""The report's proofs_check section: the symbolic and Monte Carlo checks of each proof step
(docs/proofs_check.md), with when they ran, in which mode and with which software.

The library never imports proofs_check (an import contract): `approx report` runs the checks
(`approx.cli.check_proofs.run_checks`) and hands their results over as a `ProofChecks`. The
results are read by attribute (`name`, `paper`, `method`, `status`, `detail`, `finding`: what
`proofs_check.result.CheckResult` holds), so this module needs nothing of proofs_check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .markup import esc, paragraph, table

PROOF_COLUMNS = ("check", "paper", "method", "status", "detail")


class CheckRow(Protocol):
    name: str
    paper: str
    method: str
    status: str
    detail: str
    finding: str


@dataclass(frozen=True)
class ProofChecks:
    """One run of every proofs_check check: the results in the runner's order, its mode
    ("quick": the test suite's Monte Carlo sample sizes, "full": the report's), base seed, when
    it started (UTC, ISO 8601), how long it took, and the software that ran it."""

    results: Sequence[CheckRow]
    mode: str
    seed: int
    started_at: str
    seconds: float
    versions: Mapping[str, str]

    @property
    def command(self) -> str:
        quick = " --quick" if self.mode == "quick" else ""
        return f"approx check-proofs{quick} --seed {self.seed} --report proofs_check.md"


def proofs_section(checks: ProofChecks | None, store: str) -> str:
    """The section's html: the table (one <tr data-check=name> per check, failed ones marked)
    and the findings, or, when the checks were not run for this page, a note saying so."""
    if checks is None:
        return paragraph(
            "Not included: the checks were not run for this page (approx report "
            f"--proofs-check none). approx report {store} --out DIR runs the quick checks "
            "(about half a minute) and "
            "--proofs-check full the report's sample sizes; approx check-proofs runs them "
            "alone.",
            "note",
        )
    results = list(checks.results)
    failed = sum(r.status != "pass" for r in results)
    versions = ", ".join(f"{k} {v}" for k, v in sorted(checks.versions.items()))
    head = paragraph(
        f"{len(results)} checks, {len(results) - failed} passed, {failed} failed; "
        f"{checks.mode} mode, base seed {checks.seed}; run when this page was written, "
        f"started {checks.started_at}, {checks.seconds:.1f} s, with {versions}. A check "
        "passes when its claim is proven (symbolic, certified grid) or the samples are "
        "consistent with it at the stated confidence (monte carlo); docs/proofs_check.md."
    )
    cells = [[r.name, r.paper, r.method, r.status.upper(), r.detail] for r in results]
    attrs = [
        {"data-check": r.name, **({"class": "fail"} if r.status != "pass" else {})} for r in results
    ]
    findings = [r for r in results if r.finding]
    items = "".join(f"<li><b>{esc(r.name)}</b>: {esc(r.finding)}</li>" for r in findings)
    return "\n".join(
        (
            head,
            table("proofs-table", PROOF_COLUMNS, cells, row_attrs=attrs, scroll=True),
            paragraph(
                "Findings (published statements that do not hold as written; the corrected "
                "claim is what the table checks):"
                if findings
                else "Findings: none."
            ),
            f'<ul id="proofs-findings">{items}</ul>' if findings else "",
            paragraph("Rerun them:", "note"),
            f"<pre>{esc(checks.command)}</pre>",
        )
    )
